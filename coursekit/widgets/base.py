"""The one small base every chapter's widget builds on.

A `PlotWidget` owns named ipywidgets controls, a matplotlib `Figure` (no pyplot, so nothing leaks
into the notebook's own figures), a status line, and an `ipywidgets.Image` showing the figure as
PNG. Every control change calls `update()` (the subclass recomputes its state and redraws its
artists), then the figure is re-rendered. Headless use needs no kernel or browser:

    w = SomeWidget()
    w.controls["scale"].value = 3.0   # -> w.update() ran, w.png / w.status.value are new

A widget that sets its own controls (a preset filling sliders, a slider's range following a text)
does so inside `with self.quiet():`, then calls `refresh()` once.
"""
from __future__ import annotations

import html
import io
import numbers
from contextlib import contextmanager

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class PlotWidget:
    """Controls + a matplotlib figure, re-rendered after each `update()`.

    Subclasses build `controls` (name -> widget), call `super().__init__(controls, ...)`, draw their
    artists once in `setup()` and set their data in `update()`. `lazy`: no first render at
    construction, the first `refresh()` makes it (a plot fed from outside, e.g. `LiveLossPlot`).
    """

    _quiet_depth = 0  # > 0 inside `quiet()`: control changes are ignored

    def __init__(self, controls: dict, *, ncols: int = 1, figsize=(6.0, 4.0), dpi: int = 80,
                 title: str | None = None, lazy: bool = False):
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
            control.observe(self._on_value, names="value")
        if not lazy:
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

    def layout_controls(self) -> list:
        """The rows of controls that `widget` shows above the status line: by default one wrapping row."""
        return [W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))]

    @contextmanager
    def quiet(self):
        """A block in which control changes call no `_changed` (no update, no render): for a widget
        that sets its own controls, which then calls `refresh()` once. Nests; left on exceptions too."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def show_error(self, message: str) -> None:
        """`message` in red on the status line, and as `error` (the plot keeps the last good state)."""
        self.error = message
        self.status.value = f"<span style='color:#c00'>{html.escape(message, quote=False)}</span>"

    # -- machinery -----------------------------------------------------------------------------
    def _on_value(self, change) -> None:
        if not self._quiet_depth:
            self._changed(change)

    def _changed(self, change) -> None:
        """A control's value changed (outside `quiet()`): by default `refresh()`."""
        self.refresh()

    def refresh(self) -> None:
        """Run `update()`, re-render the figure (`png`, `n_renders`) and `publish()` it."""
        self.update()
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        self.png = buf.getvalue()
        self.n_renders += 1
        self.publish()

    def publish(self) -> None:
        """Show the new `png`: by default in the image widget."""
        self.image.value = self.png

    @property
    def widget(self) -> W.VBox:
        """The whole widget: title, `layout_controls()`, status line, plot."""
        if self._widget is None:
            title = [W.HTML(f"<b>{self.title}</b>")] if self.title else []
            self._widget = W.VBox([*title, *self.layout_controls(), self.status, self.image])
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


# -- argument checks shared by the chapters' widgets (ValueError naming the argument) ---------

def check_int(name: str, v, lo: int, hi: int) -> int:
    """`v` as an int when it is one (not a bool) in [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {v!r}")
    return int(v)


def check_number(name: str, v, lo: float, hi: float) -> float:
    """`v` as a float when it is a real number (not a bool) in [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not lo <= v <= hi:
        raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {v!r}")
    return float(v)
