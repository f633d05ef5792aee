"""The Find Similar page: search by example and its results grid."""
