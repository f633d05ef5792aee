"""Pure image engine: decode, features, similarity, grouping, display previews. numpy/OpenCV/Pillow
only, no Qt."""
