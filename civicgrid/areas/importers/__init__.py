"""File readers for areas and grids. They parse and check rows; ``services`` does the writes."""
