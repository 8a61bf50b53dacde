"""The staging replica: local image builds, compose lifecycle, zones and cleanup by label."""
