//! The convergence property test.
