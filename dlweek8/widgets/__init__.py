"""Interactive widgets: explorers for each task and answer boxes for the exercises."""
