"""The Duplicates page: scan, group list, review of one group, marks and the folders panel."""
