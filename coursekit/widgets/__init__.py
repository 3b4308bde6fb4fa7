"""Interactive widgets, one module per chapter, all built on `base.PlotWidget`.

    from coursekit.widgets import NeuronPlayground, ActivationExplorer
    NeuronPlayground()          # last expression of a cell: shows the widget
"""
from .activations import ActivationExplorer
from .attention import AttentionExplorer as AttentionExplorer  # chapter 08
from .attention import QueryKeyPlayground as QueryKeyPlayground  # chapter 08
from .backprop import BackpropStepper as BackpropStepper  # chapter 04
from .base import PlotWidget
from .cnn import ConvExplorer as ConvExplorer  # chapter 06
from .cnn import FeatureMaps as FeatureMaps  # chapter 06
from .generative import GANPlayback as GANPlayback  # chapter 09
from .generative import LatentGrid as LatentGrid  # chapter 09
from .losses import LossExplorer as LossExplorer  # chapter 03
from .neurons import NeuronPlayground
from .optim import OptimizerRace as OptimizerRace  # chapter 05
from .rnn import GradientFlow as GradientFlow  # chapter 07
from .rnn import LSTMGates as LSTMGates  # chapter 07
from .rnn import UnrolledRNN as UnrolledRNN  # chapter 07

__all__ = ["ActivationExplorer", "NeuronPlayground", "PlotWidget"]
