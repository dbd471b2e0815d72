"""Starting, supervising and configuring the product's servers."""
