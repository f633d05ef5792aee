"""Pure image engine: decode, features, similarity, grouping. numpy/OpenCV/Pillow only, no Qt."""
