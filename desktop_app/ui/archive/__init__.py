"""The archive flow's Qt face: the confirmation dialog and the system trash through Qt."""
