"""Stage 7 of the pipeline: the learned head (seed 000, docs/learned.md).

`pairs` makes (anchor, copy) training pairs with the transformation engine and describes them
with a backbone; `model` (torch, the `[train]` extra) holds the head and its loss; `train` trains
it and scores frame retrieval; `head` is the trained head as numpy arrays, all that inference
(the `learned:` descriptor backend) needs. Importing this package does not import torch.
"""

from vidtrace.learn.head import Head, HeadConfig

__all__ = ["Head", "HeadConfig"]
