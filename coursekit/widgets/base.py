"""The one small base every chapter's widget builds on.

A `PlotWidget` owns named ipywidgets controls, a matplotlib `Figure` (no pyplot, so nothing leaks
into the notebook's own figures), a status line, and an `ipywidgets.Image` showing the figure as
PNG. Every control change calls `update()` (the subclass recomputes its state and redraws its
artists), then the figure is re-rendered. Headless use needs no kernel or browser:

    w = SomeWidget()
    w.controls["scale"].value = 3.0   # -> w.update() ran, w.png / w.status.value are new
"""
from __future__ import annotations

import io

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class PlotWidget:
    """Controls + a matplotlib figure, re-rendered after each `update()`.

    Subclasses build `controls` (name -> widget), call `super().__init__(controls, ...)`, draw their
    artists once in `setup()` and set their data in `update()`.
    """

    def __init__(self, controls: dict, *, ncols: int = 1, figsize=(6.0, 4.0), dpi: int = 80,
                 title: str | None = None):
        self.controls = dict(controls)
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(1, ncols, squeeze=False)[0]
        self.axes = list(axes)
        self.ax = self.axes[0]
        self.title = title
        self.status = W.HTML(layout=W.Layout(min_height="1.5em"))
        self.image = W.Image(format="png", layout=W.Layout(width=f"{int(figsize[0] * dpi)}px"))
        self.n_renders = 0
        self.png = b""
        self._widget = None
        self.setup()
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.refresh()

    # -- for subclasses ------------------------------------------------------------------------
    def setup(self) -> None:
        """Create the artists once (lines, images, ...). Optional."""

    def update(self) -> None:
        """Recompute the state from the controls and update the artists. Required."""
        raise NotImplementedError

    def value(self, name: str):
        """The current value of control `name`."""
        return self.controls[name].value

    # -- machinery -----------------------------------------------------------------------------
    def _changed(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Run `update()` and re-render the figure into the image widget."""
        self.update()
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        self.png = buf.getvalue()
        self.image.value = self.png
        self.n_renders += 1

    @property
    def widget(self) -> W.VBox:
        """The whole widget: controls, status line, plot."""
        if self._widget is None:
            children = []
            if self.title:
                children.append(W.HTML(f"<b>{self.title}</b>"))
            children += [W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap")),
                         self.status, self.image]
            self._widget = W.VBox(children)
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def linked_play(self, slider, *, interval: int, description: str) -> W.Play:
        """A ▶ button that steps the IntSlider `slider` (linked both ways), closed with the widget.
        Callable before `super().__init__`, while the controls are being built."""
        play = W.Play(value=slider.value, min=slider.min, max=slider.max, step=1, interval=interval,
                      description=description, layout=W.Layout(width="130px"))
        self.__dict__.setdefault("_links", []).append(W.link((play, "value"), (slider, "value")))
        self.__dict__.setdefault("_extras", []).append(play)
        return play

    def close(self) -> None:
        """Close this widget's ipywidgets (frees their comms in a live kernel); closing twice is harmless."""
        for link in getattr(self, "_links", ()):
            link.unlink()
        for w in [*self.controls.values(), self.status, self.image, *getattr(self, "_extras", ())]:
            w.close()
        if self._widget is not None:
            _close_tree(self._widget)


def _close_tree(widget) -> None:
    """Close an ipywidgets container and everything inside it."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
