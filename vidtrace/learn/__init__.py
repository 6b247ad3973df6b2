"""Stage 7 of the pipeline: training the learned head (seed 000, docs/learned.md).

`pairs` makes (anchor, copy) training pairs with the transformation engine and describes them
with a backbone; `model` (torch, the `[train]` extra) holds the head and its loss; `train` trains
it and scores frame retrieval. The trained head itself, as numpy arrays, is
`vidtrace.descriptors.head` (all that inference, the `learned:` backend, needs). Importing this
package does not import torch.
"""

from vidtrace.descriptors.head import Head, HeadConfig

__all__ = ["Head", "HeadConfig"]
