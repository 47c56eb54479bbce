//! Terraform-like text: `+ ~ - -/+` per resource, field changes, device impact.
