"""The Compare page: two images side by side with their matched features."""
