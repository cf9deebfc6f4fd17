"""Supervised vs PseudoSeg over labeled fractions, paired by seed.

Each (fraction, seed) trains the supervised config and the PseudoSeg config
with the same seed and the same labeled split (``splits/seed{s}/1-{n}``),
so both segmentors start from the same weights (PseudoSeg builds its extra
heads under a forked RNG); every run records a fingerprint of its
segmentor's initial weights, and :func:`summarise` checks that the pairs
agree. The data order differs between the two (PseudoSeg draws its labeled
batches through ``MixedDataset``). Runs go to separate processes, ``jobs``
at a time with one thread each, and each finished run is appended to a JSON
file, so an interrupted benchmark resumes where it stopped.
"""
import hashlib
import json
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..evaluation import mean_std, paired_interval

HISTORY_KEYS = ('unsup_pl_acc', 'unsup_pl_acc_decoder', 'unsup_pl_acc_sgc',
                'unsup_pl_conf', 'sup_decode.acc_seg', 'sup_sgc.acc_seg',
                'pl_miou_pseudo', 'pl_miou_decoder', 'pl_miou_sgc',
                'pl_fg_to_bg_pseudo', 'pl_fg_to_bg_decoder',
                'pl_fg_to_bg_sgc')
KINDS = ('supervised', 'pseudoseg')


def run_key(kind: str, denominator: int, seed: int) -> str:
    return f'{kind}/1-{denominator}/seed{seed}'


def weights_fingerprint(state_dict: dict) -> str:
    """SHA-1 of the tensors of a state dict, in key order."""
    digest = hashlib.sha1()
    for key in sorted(state_dict):
        digest.update(key.encode())
        digest.update(state_dict[key].detach().cpu().numpy().tobytes())
    return digest.hexdigest()


def tree_digest(root: str) -> str:
    """SHA-1 over the relative path and bytes of every file under
    ``root``, in sorted order: whether two runs read the same data set
    byte for byte (an image encoder of another version may write other
    JPEG bytes from the same drawing)."""
    digest = hashlib.sha1()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = osp.join(folder, name)
            digest.update(osp.relpath(path, root).encode())
            with open(path, 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


def machine_info() -> dict:
    """What a run's numerics depend on beyond its config and data: the CPU
    model, the kernels torch dispatches to on it (e.g. AVX2, AVX512), the
    GPU the run trains on (runs take CUDA where it is; empty if none) and
    the versions of torch, numpy and Pillow. Runs of the same job agree to
    the digit on one machine, not across machines (docs/en/benchmarks/
    toy_patterns.md)."""
    import PIL
    import torch
    cpu = ''
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            cpu = next((line.split(':', 1)[1].strip() for line in f
                        if line.startswith('model name')), '')
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else ''
    return dict(cpu=cpu,
                cpu_capability=torch.backends.cpu.get_cpu_capability(),
                gpu=gpu, torch=torch.__version__, numpy=np.__version__,
                pillow=PIL.__version__)


def _segmentor_state(model) -> dict:
    """The wrapped segmentor's state (PseudoSeg) or the model's own."""
    inner = getattr(model, 'segmentor', model)
    return {
        k: v
        for k, v in inner.state_dict().items()
        if not k.startswith('data_preprocessor')
    }


def _point_at_split(cfg, data_root: str, split_dir: str) -> None:
    """Every dataset at ``data_root``; the labeled list of the train set
    from ``split_dir``, and the unlabeled one too where the config names a
    split's ``unlabeled.txt`` (else, all train images, it stays)."""
    from mmseg_pseudoseg.datasets import set_data_root
    set_data_root(cfg._cfg_dict, data_root)
    ds = cfg.train_dataloader.dataset
    if ds.type == 'MixedDataset':
        ds.labeled.ann_file = f'{split_dir}/labeled.txt'
        if osp.basename(ds.unlabeled.ann_file) == 'unlabeled.txt':
            ds.unlabeled.ann_file = f'{split_dir}/unlabeled.txt'
    else:
        ds.ann_file = f'{split_dir}/labeled.txt'


class _InitialStateSaved(Exception):
    """Stops a ``save_init`` run once the initial weights are written."""


def train_one(job: dict) -> dict:
    """Train and evaluate one run in this process (a worker).

    Args:
        job (dict): ``kind``, ``config``, ``cfg_options`` (dict or None),
            ``data_root``, ``split_dir``, ``seed``, ``iters``,
            ``work_dir``, ``threads``. Optional: ``save_init`` (``path``,
            ``modules``): write those modules' initial weights (after the
            runner's own initialisation, before the first step) to
            ``path`` and stop there; ``init_from``: a file so written,
            whose weights the run starts from instead (to pair arms whose
            models draw other random numbers before initialisation).

    Returns:
        dict: The job plus ``miou``, ``seconds``, ``init_fingerprint`` (the
        segmentor's initial weights), ``init_fingerprints`` (per top-level
        module: backbone, decode_head, ...), ``machine``
        (:func:`machine_info`), ``data_digest`` (:func:`tree_digest` of
        ``data_root``) and, for semi-supervised runs, ``history`` (key ->
        mean per tenth of the run). ``iters`` None keeps the config's
        schedule.
    """
    import torch
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.logging import MMLogger
    from mmengine.runner import Runner

    import mmseg_pseudoseg  # noqa: F401  (registration)

    torch.set_num_threads(job['threads'])
    cfg = Config.fromfile(job['config'])
    if job.get('cfg_options'):
        cfg.merge_from_dict(job['cfg_options'])
    _point_at_split(cfg, job['data_root'], job['split_dir'])
    iters = job['iters']
    cfg.work_dir = job['work_dir']
    cfg.randomness = dict(seed=job['seed'])
    cfg.log_level = 'WARNING'
    if iters is None:  # the config's own schedule
        iters = cfg.train_cfg.max_iters
    else:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters
        cfg.param_scheduler[0].end = iters
        cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = max(1, iters // 10)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    found: Dict[str, str] = {}

    class _Fingerprint(Hook):
        def before_train(self, runner) -> None:
            seg = getattr(runner.model, 'segmentor', runner.model)
            if job.get('init_from'):
                saved = torch.load(job['init_from'], map_location='cpu')
                for module, state in saved.items():
                    getattr(seg, module).load_state_dict(state)
            state = _segmentor_state(runner.model)
            found['init'] = weights_fingerprint(state)
            for module in sorted({k.split('.')[0] for k in state}):
                found[module] = weights_fingerprint({
                    k: v
                    for k, v in state.items()
                    if k.split('.')[0] == module
                })
            if job.get('save_init'):
                path = job['save_init']['path']
                os.makedirs(osp.dirname(path), exist_ok=True)
                torch.save({m: getattr(seg, m).state_dict()
                            for m in job['save_init']['modules']},
                           path + '.tmp')
                os.replace(path + '.tmp', path)
                raise _InitialStateSaved

    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(_Fingerprint(), priority='HIGHEST')
    MMLogger.get_current_instance().setLevel('WARNING')
    try:
        runner.train()
    except _InitialStateSaved:
        return dict(job, init_fingerprint=found.pop('init'),
                    init_fingerprints=found)
    hub = runner.message_hub
    history = {}
    for key in HISTORY_KEYS:
        if f'train/{key}' in hub.log_scalars:
            values = np.asarray(hub.get_scalar(f'train/{key}').data[0])
            if key.startswith('pl_') and len(values) < 10:
                continue  # logged once per interval: too few for tenths
            history[key] = [
                float(c.mean()) for c in np.array_split(values, 10)
            ]
    return dict(
        job,
        miou=float(hub.get_scalar('val/mIoU').current()),
        aacc=float(hub.get_scalar('val/aAcc').current()),
        seconds=time.perf_counter() - start,
        init_fingerprint=found.pop('init', None),
        init_fingerprints=found,
        history=history,
        checkpoint=osp.join(cfg.work_dir, f'iter_{iters}.pth'),
        machine=machine_info(),
        data_digest=tree_digest(job['data_root']))


def make_jobs(configs: Dict[str, str],
              data_root: str,
              denominators: Sequence[int],
              seeds: Sequence[int],
              iters: int,
              work_root: str,
              options: Optional[Dict[str, dict]] = None) -> List[dict]:
    """One job per (kind, fraction, seed); PseudoSeg first (the longest).
    ``options``: config overrides per kind (e.g. an ablation of
    PseudoSeg)."""
    jobs = []
    options = options or {}
    for kind in reversed(KINDS):
        for n in denominators:
            for seed in seeds:
                jobs.append(
                    make_job(kind, configs[kind],
                             options.get(kind) or None, data_root, n, seed,
                             iters, work_root))
    return jobs


def make_job(kind: str, config: str, cfg_options: Optional[dict],
             data_root: str, denominator: int, seed: int, iters: int,
             work_root: str, **extra) -> dict:
    """One run for :func:`train_one`: ``kind`` at fraction
    1/``denominator`` on split seed ``seed``; ``extra`` keys are recorded
    with it."""
    key = run_key(kind, denominator, seed)
    return dict(
        key=key,
        kind=kind,
        config=config,
        cfg_options=cfg_options,
        **extra,
        data_root=data_root,
        denominator=denominator,
        split_dir=f'splits/seed{seed}/1-{denominator}',
        seed=seed,
        iters=iters,
        threads=1,
        work_dir=osp.join(work_root, key.replace('/', '_')))


def run_pool(jobs: List[dict], n_jobs: int) -> List[dict]:
    """:func:`train_one` of each job, ``n_jobs`` processes at a time (a
    fresh process per job); the results in the jobs' order."""
    context = get_context('spawn')
    with ProcessPoolExecutor(n_jobs, mp_context=context,
                             max_tasks_per_child=1) as pool:
        return list(pool.map(train_one, jobs))


def read_runs(path: str) -> Dict[str, dict]:
    """key -> run of a JSON lines results file (empty if missing; blank
    lines skipped). A line that is not a record with a ``key`` is an
    error naming the file and line."""
    if not osp.isfile(path):
        return {}
    runs = {}
    with open(path) as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                run = json.loads(text)
                runs[run['key']] = run
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f'{path}:{number}: not a run record '
                                 f'({err!r})') from None
    return runs


def run_jobs(jobs: List[dict],
             results_file: str,
             n_jobs: int,
             log=print) -> Dict[str, dict]:
    """Run the jobs not yet in ``results_file`` (same config, options,
    iterations and data) ``n_jobs`` at a time; append each result to it as
    it finishes."""
    done = read_runs(results_file)
    todo = []
    for job in jobs:
        old = done.get(job['key'])
        same = old is not None and all(
            old.get(k) == job.get(k)
            for k in ('config', 'cfg_options', 'iters', 'data_root'))
        if not same:
            todo.append(job)
    log(f'{len(jobs) - len(todo)} of {len(jobs)} runs already in '
        f'{results_file}; running {len(todo)}, {n_jobs} at a time')
    results = {job['key']: done[job['key']] for job in jobs
               if job not in todo}
    if not todo:
        return results
    os.makedirs(osp.dirname(osp.abspath(results_file)), exist_ok=True)
    context = get_context('spawn')
    with ProcessPoolExecutor(n_jobs, mp_context=context,
                             max_tasks_per_child=1) as pool:
        futures = {pool.submit(train_one, job): job for job in todo}
        for future in as_completed(futures):
            result = future.result()
            results[result['key']] = result
            with open(results_file, 'a') as f:
                f.write(json.dumps(result) + '\n')
            log(f"{result['key']}: mIoU {result['miou']:.2f} "
                f"({result['seconds']:.0f} s)")
    return results


def summarise(results: Dict[str, dict], denominators: Sequence[int],
              seeds: Sequence[int]) -> List[dict]:
    """Per fraction: mean +- std of each arm and the paired difference
    with its 95% t-interval; checks that the pairs started alike."""
    rows = []
    for n in denominators:
        pairs = [(results.get(run_key('supervised', n, s)),
                  results.get(run_key('pseudoseg', n, s))) for s in seeds]
        pairs = [(a, b) for a, b in pairs if a and b]
        if not pairs:
            continue
        sup = [a['miou'] for a, _ in pairs]
        ps = [b['miou'] for _, b in pairs]
        same = sum(a['init_fingerprint'] == b['init_fingerprint']
                   for a, b in pairs)
        rows.append(
            dict(
                denominator=n,
                seeds=[a['seed'] for a, _ in pairs],
                supervised=mean_std(sup),
                pseudoseg=mean_std(ps),
                diff=paired_interval(ps, sup),
                diffs=[p - s for p, s in zip(ps, sup)],
                same_init=same,
                pl_history=_mean_history([b for _, b in pairs])))
    return rows


def _mean_history(runs: List[dict]) -> Dict[str, List[float]]:
    keys = set.intersection(*(set(r.get('history') or {}) for r in runs))
    return {
        k: np.mean([r['history'][k] for r in runs], axis=0).tolist()
        for k in sorted(keys)
    }


def format_curve(rows: List[dict], train_size: Optional[int] = None) -> str:
    """The curve's table (mIoU %) and the pseudo-label accuracy history."""
    lines = [
        '| labeled | supervised | PseudoSeg | PseudoSeg - supervised '
        '(95% CI) | per seed | same init |', '|---|---|---|---|---|---|'
    ]
    for r in rows:
        n = r['denominator']
        frac = f'1/{n}' + (f' ({-(-train_size // n)})' if train_size else '')
        d = r['diff']
        lines.append(
            f"| {frac} | {r['supervised']['mean']:.2f} +- "
            f"{r['supervised']['std']:.2f} | {r['pseudoseg']['mean']:.2f} "
            f"+- {r['pseudoseg']['std']:.2f} | {d['mean']:+.2f} "
            f"[{d['low']:+.2f}, {d['high']:+.2f}] | " +
            ' '.join(f'{x:+.1f}' for x in r['diffs']) +
            f" | {r['same_init']}/{len(r['diffs'])} |")
    hist = [r for r in rows if r['pl_history']]
    if hist:
        lines += [
            '', 'pseudo-label pixel accuracy on the weak view during '
            'PseudoSeg training (mean over seeds; first, middle and last '
            'tenth of the run)', '',
            '| labeled | fused | decoder | SGC | confidence |',
            '|---|---|---|---|---|'
        ]
        for r in hist:
            h = r['pl_history']

            def fmt(key):
                v = h.get(key)
                if not v:
                    return '-'
                return ' / '.join(f'{v[i]:.3f}' for i in (0, 4, 9))

            lines.append(f"| 1/{r['denominator']} | {fmt('unsup_pl_acc')} "
                         f"| {fmt('unsup_pl_acc_decoder')} | "
                         f"{fmt('unsup_pl_acc_sgc')} | "
                         f"{fmt('unsup_pl_conf')} |")
        if any(r['pl_history'].get('pl_miou_pseudo') for r in hist):
            lines += [
                '', 'pseudo-label mIoU / mean share of foreground pixels '
                'labelled background, on the weak view (first, middle and '
                'last tenth)', '',
                '| labeled | fused mIoU | decoder mIoU | SGC mIoU | fused '
                'fg->bg | decoder fg->bg | SGC fg->bg |',
                '|---|---|---|---|---|---|---|'
            ]
            for r in hist:
                h = r['pl_history']
                cells = [
                    ' / '.join(f'{h[k][i]:.3f}' for i in (0, 4, 9))
                    if h.get(k) else '-'
                    for k in ('pl_miou_pseudo', 'pl_miou_decoder',
                              'pl_miou_sgc', 'pl_fg_to_bg_pseudo',
                              'pl_fg_to_bg_decoder', 'pl_fg_to_bg_sgc')
                ]
                lines.append(f"| 1/{r['denominator']} | " +
                             ' | '.join(cells) + ' |')
    return '\n'.join(lines)
