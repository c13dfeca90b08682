"""Pages of the advisor: suggestions on a version, where someone fits now, what if (services/advice/)."""
