"""A progress bar that shows the loss terms and leaves the rest to the logs.

``BetaVAE`` logs the loss, its terms, the ELBO and the KL of every latent
each step; on Keras's bar that is 14 numbers at 10 latents, three lines per
epoch at 100 columns. ``LossTermsProgbar`` is Keras's own
``ProgbarLogger`` fed the logs without the keys it is told to hide; History,
CSVLogger, TensorBoard and every other callback still get all of them.
Its bar is 10 characters wide instead of 20, so an epoch of the default
run (500 steps, 10 latents) fits one 100-column line. ``BetaVAE.fit`` adds
one unless the callbacks hold a ``ProgbarLogger``.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras

__all__ = ["LossTermsProgbar"]


class LossTermsProgbar(keras.callbacks.ProgbarLogger):
    """``keras.callbacks.ProgbarLogger`` that hides some logged keys.

    Args:
        hidden_keys: iterable of str. Log keys not shown on the bar, e.g.
            ``model.progress_hidden_keys`` (the ELBO and ``kl_0`` ...).
        bar_width: int. Characters of the bar itself. Defaults to 10.

    Example:
    ```python
    bar = LossTermsProgbar(model.progress_hidden_keys)
    model.fit(ds, epochs=2, steps_per_epoch=100, callbacks=[bar])
    ```
    """

    def __init__(self, hidden_keys: Iterable[str] = (), bar_width: int = 10):
        super().__init__()
        self.hidden_keys = frozenset(hidden_keys)
        self.bar_width = int(bar_width)

    def _narrow(self) -> None:
        if self.progbar is not None:
            self.progbar.width = self.bar_width

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._narrow()

    def on_test_begin(self, logs=None):
        super().on_test_begin(logs)
        self._narrow()

    def _shown(self, logs):
        return {
            k: v for k, v in (logs or {}).items() if k not in self.hidden_keys
        }

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, self._shown(logs))

    def on_test_batch_end(self, batch, logs=None):
        super().on_test_batch_end(batch, self._shown(logs))

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, self._shown(logs))

    def on_test_end(self, logs=None):
        super().on_test_end(self._shown(logs))
