"""STS: who am I, and temporary credentials for assumed roles and sessions."""
