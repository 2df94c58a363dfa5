"""Optimizers: Keras's Adam applied with TensorFlow's fused Adam kernel.

``FusedAdam`` is ``keras.optimizers.Adam`` with one change: the update of
each variable is TensorFlow's ``ResourceApplyAdam`` kernel, one pass over
the variable, its two moments and the gradient, instead of about ten
elementwise ops. On the "higgins" MLP (14M weights, where Adam is a third
of the step) this gave about 1.4x the images per CPU-second
(benchmarks/README.md). The rule is Keras's (Kingma & Ba 2015, "epsilon
hat" form), with t = iterations + 1:

    m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
    w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)

and equal to ``keras.optimizers.Adam`` to float rounding (about 1e-8 after
one step; tests/test_optimizers.py). Everything the Keras optimizer does
around the per-variable update (weight decay, clipping, EMA, gradient
accumulation, learning-rate schedules) happens as in ``Adam``. The moments
are created exactly as ``Adam`` creates them, so weights files of the two
load into each other.
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["CountingLossScaleOptimizer", "FusedAdam"]


@keras.saving.register_keras_serializable(package="keras_bvae")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update is TF's fused Adam kernel.

    Takes Adam's arguments. Not supported (a ``ValueError`` says so):
    ``amsgrad=True``, and building under a ``tf.distribute`` strategy other
    than the default (use ``keras.optimizers.Adam`` there).

    Example:
    ```python
    model.compile(optimizer=keras_bvae.optimizers.FusedAdam(5e-4))
    ```
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ValueError(
                "FusedAdam does not implement amsgrad; use "
                "keras.optimizers.Adam(amsgrad=True)"
            )
        self.moment_slots: dict = {}

    def build(self, var_list):
        if self.built:
            return
        if tf.distribute.has_strategy():
            raise ValueError(
                "FusedAdam runs under the default strategy only; under "
                f"{type(tf.distribute.get_strategy()).__name__} use "
                "keras.optimizers.Adam"
            )
        # Adam.build would create the moments in Adam's own private lists;
        # the base Optimizer.build plus the same public call keeps them here
        # under the same names and in the same order.
        keras.optimizers.Optimizer.build(self, var_list)
        momentums, velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        self.moment_slots = {
            _key(var): (m, v)
            for var, m, v in zip(var_list, momentums, velocities)
            if m is not None
        }

    def update_step(self, gradient, variable, learning_rate):
        try:
            m, v = self.moment_slots[_key(variable)]
        except KeyError:
            raise ValueError(
                f"FusedAdam was not built with variable {variable.name}; "
                "build it with every variable it updates"
            ) from None
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=_tf_variable(variable).handle,
            m=_tf_variable(m).handle,
            v=_tf_variable(v).handle,
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(tf.convert_to_tensor(gradient), dtype),
        )


@keras.saving.register_keras_serializable(package="keras_bvae")
class CountingLossScaleOptimizer(keras.optimizers.LossScaleOptimizer):
    """Keras's ``LossScaleOptimizer`` whose ``iterations`` counts every step.

    Keras 3's ``LossScaleOptimizer`` skips the update of a step whose scaled
    gradients overflow (and halves the scale), and its ``iterations`` (the
    inner optimiser's) counts only the updates made. keras_bvae reads
    ``model.optimizer.iterations`` as the number of batches trained: the
    position in the step-indexed batch stream, the step of a backup and of
    the capacity schedule. This class counts every ``apply``, skipped or
    not, as Keras 2's optimizer did; the inner optimiser (its Adam bias
    correction, learning-rate schedule) still counts its own updates.
    ``BetaVAE.compile`` wraps the optimiser in it under ``mixed_float16``.

    Args: those of ``keras.optimizers.LossScaleOptimizer``
    (``inner_optimizer``, ``initial_scale=2**15``,
    ``dynamic_growth_steps=2000``).

    Example:
    ```python
    optimizer = CountingLossScaleOptimizer(FusedAdam(1e-3))
    optimizer.scale_loss(loss)      # loss * the current scale
    ```
    """

    @property
    def iterations(self):
        return self._iterations

    @property
    def updates_made(self):
        """The inner optimiser's step count: the updates not skipped."""
        return self.inner_optimizer.iterations

    def apply(self, grads, trainable_variables=None):
        super().apply(grads, trainable_variables)
        self._iterations.assign_add(1)


def _tf_variable(variable):
    """The ``tf.Variable`` behind a Keras variable (or the variable)."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def _key(variable):
    """A hashable identity shared by a Keras variable and its tf.Variable."""
    return _tf_variable(variable).ref()
