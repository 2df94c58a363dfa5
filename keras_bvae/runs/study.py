"""Reproduction studies: many long runs, resumable run by run, shared by
workers.

A ``Study`` is a base ``TrainConfig`` (the paper's recipe), a list of grid
points (``RunSpec``: latent size, beta, seed) and how each finished model
is scored. ``run_study`` walks the runs in order; for each one not finished
it takes the run folder's lock (``keras_bvae.runs.lock.lock_folder``, an
exclusive ``fcntl.flock``), trains it with ``keras_bvae.runs.train``
(which resumes from the run's own backup), logs the Higgins metric and each
factor's best-latent NMI every ``score_every`` steps into the run's
history.csv (its factor-emergence curve), and writes ``scores.json`` once
the finished model is scored under every protocol of the study.

Any number of workers may run the same study folder at once: each skips a
run another worker holds, and the kernel drops a claim when its holder
dies (``kill -9`` included), so the next worker to reach that run resumes
it from its last backup. Workers on several machines share a folder on a
network file system that supports ``flock`` (NFSv4 does); no other
coordination is needed. ``keras_bvae.runs.study_results`` makes the table
and figures from the runs' ``scores.json`` files; each study's recipe has
a module of its own (``keras_bvae.runs.higgins2017``).

Reference: I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts
with a Constrained Variational Framework", ICLR 2017.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import socket
import time
from collections.abc import Iterator, Sequence
from typing import Any

from keras_bvae.files import write_json
from keras_bvae.runs.grid import RunSpec
from keras_bvae.runs.lock import FolderInUseError, lock_folder, lock_holder

__all__ = [
    "STUDIES",
    "Study",
    "claim_run",
    "get_study",
    "run_study",
    "score_model",
]

SCORES_NAME = "scores.json"


@dataclasses.dataclass(frozen=True)
class Study:
    """A set of training runs and how each is scored.

    Args:
        name: str. The study's name (printed, and in ``study.json``).
        base: TrainConfig. Settings shared by every run; each RunSpec sets
            latent_dim, beta or normalized_beta and seed.
        table_runs: the RunSpecs of the headline table (trained first).
        figure_runs: the RunSpecs of the score-vs-normalised-beta figure
            (runs already in ``table_runs`` are not repeated).
        metrics: metrics of the final scoring, each under every protocol
            that defines it ("higgins2017" defines only "beta_vae").
        protocols: protocol names of the final scoring (those not in
            ``keras_bvae.disentanglement.PROTOCOLS`` are skipped, and added
            to finished runs when they appear).
        monitor_protocol: protocol of the Higgins metric logged every
            epoch (one epoch = ``base.steps_per_epoch`` steps).
        monitor_samples: images of the NMI logged every epoch.
        nmi_samples: images of the finished model's latent x factor NMI.
        settings: protocol overrides of the logged and the final scores
            (``evaluate``'s keyword arguments), e.g. smaller counts for a
            test.
        codes_table: str. ``evaluate``'s codes table for the final scoring:
            "auto" encodes every factor combination once where that is
            cheaper than the protocol's images (dSprites: 737,280 against
            1.28 million for the Higgins metric); "off" for small tests.
        paper: str. The published numbers, printed under the table.
    """

    name: str
    base: Any
    table_runs: tuple[RunSpec, ...]
    figure_runs: tuple[RunSpec, ...] = ()
    metrics: tuple[str, ...] = ("beta_vae", "mig", "dci")
    protocols: tuple[str, ...] = ("higgins2017", "full")
    monitor_protocol: str = "quick"
    monitor_samples: int = 5000
    nmi_samples: int = 10_000
    settings: dict | None = None
    codes_table: str = "auto"
    paper: str = ""

    @property
    def runs(self) -> list[RunSpec]:
        """Table runs, then figure runs not already among them."""
        seen, runs = set(), []
        for spec in (*self.table_runs, *self.figure_runs):
            if spec.run_id not in seen:
                seen.add(spec.run_id)
                runs.append(spec)
        return runs

    @property
    def steps(self) -> int:
        return self.base.epochs * self.base.steps_per_epoch


# name -> the module whose function of the same name returns the Study.
STUDIES = {"higgins2017": "keras_bvae.runs.higgins2017"}


def get_study(name: str, **kwargs) -> Study:
    """The study ``name`` of ``STUDIES``, made with ``kwargs``.

    Example:
        >>> get_study("higgins2017", steps=20_000, seeds=1).steps
        20000
    """
    if name not in STUDIES:
        raise ValueError(
            f"unknown study {name!r}; choose one of {sorted(STUDIES)}"
        )
    return getattr(importlib.import_module(STUDIES[name]), name)(**kwargs)


@contextlib.contextmanager
def claim_run(folder: str) -> Iterator[str | None]:
    """Holds the run folder's lock while the block runs, if it is free.

    Yields None when this process holds the run folder's lock
    (``keras_bvae.runs.lock.lock_folder``, which ``train`` takes too) and
    may work on the run, or the holder ("pid N on host H since T") when
    another process holds it. The kernel releases the lock when the holder
    dies (``kill -9`` included).
    """
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(lock_folder(folder))
        except FolderInUseError:
            holder = lock_holder(folder) or {}
            yield (
                f"pid {holder.get('pid')} on host {holder.get('host')} "
                f"since {holder.get('started_utc')}"
            )
            return
        yield None


def read_scores(folder: str) -> dict | None:
    path = os.path.join(folder, SCORES_NAME)
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def _trained(folder: str) -> bool:
    """A finished training: ``train`` writes summary.json after the model
    and removes the backup last."""
    return os.path.isfile(os.path.join(folder, "summary.json")) and not (
        os.path.isdir(os.path.join(folder, "backup"))
    )


def _backup_step(folder: str) -> int:
    path = os.path.join(folder, "backup", "state.json")
    if not os.path.isfile(path):
        return 0
    with open(path) as handle:
        return int(json.load(handle).get("step", 0))


def score_model(study: Study, data, model, protocols: Sequence[str]) -> dict:
    """A model's scores under each protocol (``"PROTOCOL:score"``) and its
    latent x factor NMI labels, as a finished run's scores.json holds them."""
    from keras_bvae.callbacks.disentanglement import flat_scores
    from keras_bvae.disentanglement import evaluate, protocol_metrics
    from keras_bvae.disentanglement.latent_factors import label_latents

    scores = {}
    for protocol in protocols:
        results = evaluate(
            data,
            model.encode,
            metrics=protocol_metrics(protocol, study.metrics),
            protocol=protocol,
            codes_table=study.codes_table,
            **(study.settings or {}),
        )
        for key, value in flat_scores(results).items():
            scores[f"{protocol}:{key}"] = value
    labels = label_latents(
        data, model.encode, seed=0, num_samples=study.nmi_samples
    )
    return {
        "scores": scores,
        "latent_labels": labels["labels"],
        "best_latent": {k: list(v) for k, v in labels["best_latent"].items()},
    }


def _available(protocols: Sequence[str]) -> list[str]:
    from keras_bvae.disentanglement import PROTOCOLS

    return [p for p in protocols if p in PROTOCOLS]


def run_study(
    study: Study,
    output_dir: str,
    max_runs: int | None = None,
    verbose: int = 1,
) -> dict[str, int]:
    """Trains and scores every run of ``study`` not yet finished.

    Args:
        study: Study. The runs and their scoring.
        output_dir: str. The study folder (``runs/RUN_ID/`` each).
        max_runs: int or None. Stop after working on this many runs.
        verbose: int. 1 prints a line per run (what it does, from which
            step, what is left); 2 also Keras's line per epoch.

    Returns:
        Counts: ``done`` (scored), ``worked`` (trained or scored by this
        call), ``held`` (held by other workers), ``left`` (neither).
    """
    from keras_bvae.callbacks import DisentanglementCallback
    from keras_bvae.callbacks.backup import NonFiniteLossError
    from keras_bvae.callbacks.latent_factors import FactorNMICallback
    from keras_bvae.loading import load
    from keras_bvae.runs.config import load_data
    from keras_bvae.runs.training import train

    os.makedirs(output_dir, exist_ok=True)
    write_json(
        os.path.join(output_dir, "study.json"),
        {
            "name": study.name,
            "base": dataclasses.asdict(study.base),
            "runs": [r.run_id for r in study.runs],
            "protocols": list(study.protocols),
            "metrics": list(study.metrics),
        },
    )
    protocols = _available(study.protocols)
    data = load_data(study.base)
    runs = study.runs
    worked, held = 0, {}

    def say(text: str) -> None:
        if verbose:
            stamp = time.strftime("%H:%M:%S")
            print(f"[{study.name} {stamp}] {text}", flush=True)

    say(f"{len(runs)} runs of {study.steps:,} steps in {output_dir}")
    for i, spec in enumerate(runs, start=1):
        if max_runs is not None and worked >= max_runs:
            break
        folder = os.path.join(output_dir, "runs", spec.run_id)
        scores = read_scores(folder)
        if scores is not None and set(protocols) <= set(scores["protocols"]):
            continue
        with claim_run(folder) as holder:
            if holder is not None:
                held[spec.run_id] = holder
                say(f"run {i}/{len(runs)} {spec.run_id}: held by {holder}")
                continue
            scores = read_scores(folder)  # another worker may have ended it
            if scores is not None and set(protocols) <= set(
                scores["protocols"]
            ):
                continue
            worked += 1
            started = time.time()
            if _trained(folder):
                say(f"run {i}/{len(runs)} {spec.run_id}: scoring")
                model = load(os.path.join(folder, "model.keras"))
            else:
                step = _backup_step(folder)
                where = f"resuming at step {step:,}" if step else "starting"
                say(
                    f"run {i}/{len(runs)} {spec.run_id}: {where} of "
                    f"{study.steps:,}"
                )
                config = dataclasses.replace(
                    study.base,
                    output_dir=folder,
                    latent_dim=spec.latent_dim,
                    seed=spec.seed,
                    objective=spec.objective,
                    objective_args=spec.setting,
                )
                monitors = [
                    DisentanglementCallback(
                        data,
                        metrics=["beta_vae"],
                        protocol=study.monitor_protocol,
                        settings=study.settings,
                        verbose=0,
                    ),
                    FactorNMICallback(data, num_samples=study.monitor_samples),
                ]
                try:
                    model, _ = train(
                        config,
                        callbacks=monitors,
                        verbose=2 if verbose > 1 else 0,
                        data=data,
                    )
                except NonFiniteLossError as error:
                    message = " ".join(str(error).split())
                    write_json(
                        os.path.join(folder, SCORES_NAME),
                        {"status": f"nonfinite: {message}", "protocols": []},
                    )
                    say(f"run {i}/{len(runs)} {spec.run_id} failed: {message}")
                    continue
            result = score_model(study, data, model, protocols)
            write_json(
                os.path.join(folder, SCORES_NAME),
                {
                    "status": "ok",
                    "protocols": protocols,
                    **result,
                    "worker": f"{socket.gethostname()}:{os.getpid()}",
                    "seconds": round(time.time() - started, 1),
                },
            )
            main = {
                k: round(v, 3)
                for k, v in result["scores"].items()
                if k.endswith("beta_vae_eval_accuracy")
            }
            say(f"run {i}/{len(runs)} {spec.run_id} done: {main}")
    done = sum(
        read_scores(os.path.join(output_dir, "runs", r.run_id)) is not None
        for r in runs
    )
    left = len(runs) - done - len(held)
    say(
        f"{done} of {len(runs)} runs finished, {len(held)} held by other "
        f"workers, {left} left"
    )
    return {"done": done, "worked": worked, "held": len(held), "left": left}
