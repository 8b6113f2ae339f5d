"""EC2: one provider assembled from a module per resource family (regions and zones first)."""
