"""IAM: roles, their trust policies and inline policies (global: one namespace per account)."""
