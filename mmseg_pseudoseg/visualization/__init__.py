from .pseudo_label_panels import (PANEL_TITLES, blend, colorize, denormalize,
                                  draw_box, heat_map, overview, panel_titles,
                                  pseudo_label_panels)

__all__ = [
    'PANEL_TITLES', 'blend', 'colorize', 'denormalize', 'draw_box',
    'heat_map', 'overview', 'panel_titles', 'pseudo_label_panels'
]
