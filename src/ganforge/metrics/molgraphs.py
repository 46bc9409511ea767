"""`ganforge eval` of a molecule-graph generator (kind ``molgraph``, the ``molgan`` family): the
graphs are decoded to SMILES (:func:`ganforge.data.molgraphs.graphs_to_smiles`; a graph that is
not one sanitisable molecule counts as invalid) and measured with the MOSES metrics of
:mod:`.molecules`.

The default reference is the data set's own, restricted to what the graph form holds (the same
``max_atoms``, atom and bond types; :func:`ganforge.data.molgraphs.graph_molecule_sets`):
``moses-graphs`` compares with the MOSES test molecules of at most 16 heavy atoms (2,388) and
counts novelty against the MOSES training molecules of that size (21,087); ``molgraphs:PATH``
with the file's held-out split. ``--reference`` (moses, smiles:PATH, a SMILES file) compares
with another set, as for SMILES generators.
"""
from __future__ import annotations

from typing import Any

from .evaluate import KindEvaluator, register_kind_evaluator
from .molecules import MOSES_NUM_SAMPLES, cached_reference_stats, evaluate_smiles, molecule_metrics, \
    read_smiles_samples


def evaluate_molgraphs(samples: Any, labels: Any = None, info: Any = None, *, run: Any = None, reference: Any = None,
                       metrics: str | None = None, n_reference: int | None = None, seed: int = 0,
                       progress: bool = False) -> dict[str, Any]:
    """MOSES metrics of generated graphs (N, M, A + M * B) of a generator trained on ``info``'s
    dataset (or of a list of SMILES). Keys as :func:`ganforge.metrics.molecules.molecule_metrics`,
    plus ``reference`` and ``n_reference``."""
    from ..data.molecules import seeded_subset
    from ..data.molgraphs import graph_molecule_sets, graphs_to_smiles
    from ..errors import GanforgeError

    gen = [str(s) for s in samples] if isinstance(samples, (list, tuple)) else graphs_to_smiles(samples, info.extra)
    if reference is not None or info is None:
        return evaluate_smiles(gen, None, None, reference=reference or "moses", metrics=metrics,
                               n_reference=n_reference, seed=seed, progress=progress)
    wanted = {m.strip().lower() for m in (metrics or "").split(",") if m.strip()} - {"moses"}
    if wanted:
        raise GanforgeError(f"--metrics {metrics}: molecule graphs take moses (the default: every /Test metric "
                            f"against the test molecules of the same size); the scaffold test set (testsf) is not "
                            f"offered for graph runs (give --reference FILE.smi to compare with another set)")
    sets = graph_molecule_sets(info.name, info.extra, info.extra.get("data_options"))
    if not sets["test"]:
        raise GanforgeError(f"{info.name}: no held-out molecules fit the graph form; give --reference moses or a "
                            f".smi file")
    test = seeded_subset(sets["test"], n_reference, seed)
    label = f"{info.name} test, <= {info.extra['max_atoms']} atoms"
    key = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{info.name}-m{info.extra['max_atoms']}-"
                  f"{'-'.join(info.extra['atom_types'][1:])}-b{len(info.extra['bond_types'])}")[-100:]
    if progress:
        print(f"evaluating {len(gen)} generated graphs against {len(test)} reference molecules ({label})")
    stats = cached_reference_stats(f"{key}-test-s{seed}" if n_reference else f"{key}-test", test, progress=progress)
    out = molecule_metrics(gen, stats, train=sets["train"])
    out["reference"], out["n_reference"], out["n_train_reference"] = label, len(test), len(sets["train"])
    return out


register_kind_evaluator("molgraph", KindEvaluator(evaluate_molgraphs, MOSES_NUM_SAMPLES, (), read_smiles_samples),
                        help="molecule graphs decoded to SMILES: the MOSES metrics against the test molecules of the "
                             "same size")
