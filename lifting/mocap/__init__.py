"""Motion-capture data for training: a BVH reader, skeleton mappings to the lift layout, and
split loading with a disk cache (``load_split``)."""
