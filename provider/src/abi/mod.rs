//! C boundary (in progress)
