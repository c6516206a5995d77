"""The golden fixtures of ``tests/test_models/test_official_parity.py``.

The fixtures in ``tests/data/official_tiny/`` and
``tests/data/official_r50_keys.json`` were made once, with the official
SeqFormer code (wjf5203/SeqFormer at commit
94272384dfa357dab6c4a6cc08af4e5073942fb5, run on PyTorch 2.13 / torchvision
0.28 on a CPU through :mod:`.official_code`'s run-time patches), by::

    python tools/analysis_tools/official/make_official_fixtures.py \\
        --official-root PATH/TO/SeqFormer [--official-python PYTHON]

(the official code runs in the ``python`` of an environment with
torchvision and scipy; it is imported from the checkout, nothing of it is
in this repository).
Run again, it rewrites the same numbers (everything is seeded and
computed in float64 on the CPU).

What it makes:

- ``official_r50_keys.json``: ``{key: shape}`` of the official R50 model as
  ``inference.py``'s defaults build it (``--masks``: ResNet-50, 300 queries,
  42 classes, box refinement, relative coordinates), 733 keys.
- ``official_tiny/weights.pth``: ``{'model': state_dict}`` of a tiny
  official SeqFormer (see :data:`TINY_ARGS`), in the official layout. Its
  backbone is a ResNet-18 at a sixteenth of the width (channels 4-32) in
  torchvision's layout with the official ``FrozenBatchNorm2d``: the official
  backbone is torchvision's ResNet-50 with hard-coded channels, so the
  official ``BackboneBase`` and ``Joiner`` wrap this one instead
  (``build_official_model(body=...)``); everything else is the official
  code. Random values (``randomize_official_``: every frozen BN random,
  every tensor N(0, 0.02) noise), then rounded to float16 so that the file
  is small and float32/float64 copies of it are exact.
- ``official_tiny/inference.pth``: ``frames`` (T, 3, H, W), normalised,
  unpadded (as ``inference.py``), and what the official
  ``model.inference(frames, W, H)`` returned in float64 with
  ``model.detr.num_frames = T``: per layer ``pred_logits`` (1, Q, 42) and
  ``pred_boxes`` (1, T, Q, 4), and the last layer's ``pred_masks``
  (1, Q', T, H/4, W/4) of every 15th query (``mask_queries``). Q = 300:
  the official ``inference`` hard-codes 300 instances.
- ``official_tiny/train_step.pth``: two clips of different sizes (padded to
  a multiple of 32 by the official collate), their ground truth (pixel
  boxes, masks, labels and instance ids per frame; one instance absent from
  one frame, one that appears late), and, from one official training forward
  and backward in float64 (``model(samples, targets, criterion, train=True)``
  as ``engine.py``): the matcher's indices of every decoder layer, every
  loss term the official ``SetCriterion`` returned, the weighted total and
  the gradients of :data:`GRAD_KEYS` (flattened; the first 2048 values of
  the larger ones).
"""
import json
import os
import os.path as osp
from typing import Dict, List

import torch
from torch import nn

from .official_code import (OFFICIAL_COMMIT, build_official_model,
                            import_official, randomize_official_)

#: The tiny official model: ``main.py`` arguments (the official training
#: scripts' flags --with_box_refine --rel_coord --masks, YouTube-VIS's 42
#: classes), small sizes, no dropout (a deterministic training step).
TINY_ARGS = dict(
    dataset_file='YoutubeVIS',
    with_box_refine=True,
    rel_coord=True,
    hidden_dim=32,
    nheads=2,
    enc_layers=2,
    dec_layers=3,
    dim_feedforward=64,
    dropout=0.0,
    num_queries=300,  # SeqFormer.inference hard-codes 300 instances
    enc_n_points=2,
    dec_n_points=2,
    num_frames=3)
#: Tiny backbone: ResNet-18 blocks, channels of stem and layer1..layer4.
TINY_WIDTHS = (4, 4, 8, 16, 32)
#: Gradients with more values keep their first GRAD_VALUES (flattened).
GRAD_VALUES = 2048
#: Parameters whose gradients are kept, spread over the whole model (the
#: first GRAD_VALUES values of the larger ones).
GRAD_KEYS = (
    'detr.backbone.0.body.layer2.0.conv1.weight',
    'detr.backbone.0.body.layer2.0.downsample.0.weight',
    'detr.backbone.0.body.layer4.1.conv2.weight',
    'detr.backbone.0.body.layer4.0.downsample.0.weight',
    'detr.input_proj.0.0.weight',
    'detr.input_proj.2.1.bias',
    'detr.input_proj.3.0.weight',
    'detr.transformer.level_embed',
    'detr.transformer.encoder.layers.0.self_attn.sampling_offsets.weight',
    'detr.transformer.encoder.layers.1.self_attn.value_proj.weight',
    'detr.transformer.encoder.layers.1.linear2.weight',
    'detr.transformer.encoder.layers.0.norm1.weight',
    'detr.query_embed.weight',
    'detr.transformer.reference_points.weight',
    'detr.transformer.decoder.layers.0.cross_attn.attention_weights.weight',
    'detr.transformer.decoder.layers.1.cross_attn.output_proj_box.weight',
    'detr.transformer.decoder.layers.2.cross_attn.output_proj.weight',
    'detr.transformer.decoder.layers.1.self_attn.in_proj_weight',
    'detr.transformer.decoder.layers.2.self_attn_box.out_proj.weight',
    'detr.transformer.decoder.layers.0.linear1_box.weight',
    'detr.transformer.decoder.layers.2.norm3.weight',
    'detr.transformer.decoder.layers.1.time_attention_weights.weight',
    'detr.class_embed.0.weight',
    'detr.class_embed.2.bias',
    'detr.bbox_embed.1.layers.2.weight',
    'controller.layers.0.weight',
    'controller.layers.2.bias',
    'mask_head.lay3.weight',
    'mask_head.lay4.bias',
    'mask_head.dcn.weight',
    'mask_head.lay1.weight',
    'mask_head.lay2.weight',
)
#: Inference input: T frames of H x W (not multiples of 8 or 32).
INFERENCE_SHAPE = (3, 3, 58, 90)
#: Queries whose last-layer mask logits are kept (all 300 would take 2 MB;
#: every query's masks are computed the same way).
MASK_QUERIES = tuple(range(0, 300, 15))
#: Training clips (T = TINY_ARGS['num_frames']): (H, W) of each, and their
#: instances as (label = YouTube-VIS category id, frames where present).
TRAIN_SIZES = ((60, 90), (75, 70))
TRAIN_INSTANCES = (
    ((5, (0, 1, 2)), (17, (0, 2))),  # clip 0: the second is absent in 1
    ((33, (0, 1, 2)), (2, (1, 2))),  # clip 1: the second appears in 1
)


def tiny_resnet(frozen_bn: type) -> nn.Module:
    """A ResNet-18 of :data:`TINY_WIDTHS` channels, torchvision's layout
    and blocks (mmdet's ``ResNet(depth=18, base_channels=4)``)."""
    from torchvision.models.resnet import BasicBlock, ResNet
    stem, *widths = TINY_WIDTHS
    body = ResNet(BasicBlock, [2, 2, 2, 2], norm_layer=frozen_bn)
    body.conv1 = nn.Conv2d(3, stem, 7, stride=2, padding=3, bias=False)
    body.bn1 = frozen_bn(stem)
    body.inplanes = stem
    for index, width in enumerate(widths, start=1):
        layer = body._make_layer(
            BasicBlock, width, 2, stride=1 if index == 1 else 2)
        setattr(body, f'layer{index}', layer)
    del body.fc  # not part of the official backbone's state
    return body


def build_tiny(root: str, seed: int) -> tuple:
    official = import_official(root)
    torch.manual_seed(seed)
    model, criterion, _ = build_official_model(
        root,
        body=tiny_resnet(official.backbone.FrozenBatchNorm2d),
        num_channels=TINY_WIDTHS[2:],
        **TINY_ARGS)
    randomize_official_(model, seed=seed)
    with torch.no_grad():  # float16 values: a small file, exact copies
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half())
    return model.double(), criterion


def r50_keys(root: str) -> Dict[str, List[int]]:
    model, _, _ = build_official_model(
        root, script='inference.py', backbone='resnet50')
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def inference_fixture(model: nn.Module, seed: int) -> dict:
    generator = torch.Generator().manual_seed(seed + 1)
    frames = torch.randn(INFERENCE_SHAPE, generator=generator).half()
    num_frames, _, height, width = frames.shape
    model.eval()
    model.detr.num_frames = num_frames
    # The official inference returns the last layer only; every layer's
    # outputs pass through forward_mask_head_train, which records them.
    layers = []
    mask_head = model.forward_mask_head_train

    def recording_mask_head(outputs, *args, **kwargs):
        layers.append(dict(outputs))
        return mask_head(outputs, *args, **kwargs)

    model.forward_mask_head_train = recording_mask_head
    with torch.no_grad():
        out = model.inference(frames.double(), width, height)
    del model.forward_mask_head_train
    assert torch.equal(layers[-1]['pred_logits'], out['pred_logits'])
    return dict(
        frames=frames,
        pred_logits=torch.stack([layer['pred_logits'] for layer in layers]),
        pred_boxes=torch.stack([layer['pred_boxes'] for layer in layers]),
        mask_queries=torch.tensor(MASK_QUERIES),
        pred_masks=out['pred_masks'][:, list(MASK_QUERIES)])


def make_clips(seed: int) -> List[dict]:
    """Frames and per-frame ground truth of the training clips.

    Each instance is an axis-aligned ellipse that drifts over the frames;
    its box is its mask's tight box (pixels, x1 y1 x2 y2 with x2, y2 one
    past the last pixel, as mmdet's loaders make them).
    """
    generator = torch.Generator().manual_seed(seed + 2)
    num_frames = TINY_ARGS['num_frames']
    clips = []
    for (height, width), instances in zip(TRAIN_SIZES, TRAIN_INSTANCES):
        frames = torch.randn((num_frames, 3, height, width),
                             generator=generator).half()
        ys = torch.arange(height, dtype=torch.float64)[:, None] + 0.5
        xs = torch.arange(width, dtype=torch.float64)[None] + 0.5
        per_frame = []
        for t in range(num_frames):
            labels, ids, boxes, masks = [], [], [], []
            for inst_id, (label, present) in enumerate(instances):
                params = torch.rand(
                    4, generator=generator, dtype=torch.float64)
                if t not in present:
                    continue
                cy = height * (0.3 + 0.4 * params[0])
                cx = width * (0.3 + 0.4 * params[1])
                ry = height * (0.1 + 0.2 * params[2])
                rx = width * (0.1 + 0.2 * params[3])
                mask = ((ys - cy) / ry)**2 + ((xs - cx) / rx)**2 <= 1
                rows = mask.any(1).nonzero()[:, 0]
                cols = mask.any(0).nonzero()[:, 0]
                boxes.append([
                    cols[0].item(), rows[0].item(), cols[-1].item() + 1,
                    rows[-1].item() + 1
                ])
                labels.append(label)
                ids.append(inst_id)
                masks.append(mask)
            per_frame.append(
                dict(
                    labels=torch.tensor(labels, dtype=torch.long),
                    instances_ids=torch.tensor(ids, dtype=torch.long),
                    bboxes=torch.tensor(boxes,
                                        dtype=torch.float32).view(-1, 4),
                    masks=torch.stack(masks).to(torch.uint8)))
        clips.append(dict(frames=frames, gt=per_frame))
    return clips


def official_targets(clip: dict) -> dict:
    """The official target dict of a clip (``datasets/ytvos.py``): labels
    (n, ), boxes (n * T, 4) instance-major, normalised (cx, cy, w, h) and
    clamped to 1e-6 (absent frames: 1e-6), masks (n * T, H, W), size.

    Instances are in order of first appearance. Boxes are normalised in
    float32 (the official loader's dtype) and then made float64.
    """
    frames = clip['gt']
    height, width = clip['frames'].shape[-2:]
    order, labels = [], []
    for frame in frames:
        for inst_id, label in zip(frame['instances_ids'].tolist(),
                                  frame['labels'].tolist()):
            if inst_id not in order:
                order.append(inst_id)
                labels.append(label)
    num_frames = len(frames)
    boxes = torch.full((len(order), num_frames, 4), 1e-6)
    masks = torch.zeros((len(order), num_frames, height, width))
    scale = torch.tensor([width, height, width, height], dtype=torch.float32)
    for t, frame in enumerate(frames):
        for row, inst_id in enumerate(frame['instances_ids'].tolist()):
            x1, y1, x2, y2 = frame['bboxes'][row].unbind()
            box = torch.stack([(x1 + x2) / 2,
                               (y1 + y2) / 2, x2 - x1, y2 - y1]) / scale
            boxes[order.index(inst_id), t] = box.clamp(min=1e-6)
            masks[order.index(inst_id), t] = frame['masks'][row]
    return dict(
        labels=torch.tensor(labels, dtype=torch.long),
        boxes=boxes.flatten(0, 1).double(),
        masks=masks.flatten(0, 1).double(),
        size=torch.tensor([height, width]))


def train_fixture(model: nn.Module, criterion: nn.Module, official,
                  seed: int) -> dict:
    clips = make_clips(seed)
    targets = [official_targets(clip) for clip in clips]
    samples = official.misc.nested_tensor_from_tensor_list(
        [clip['frames'].double().flatten(0, 1) for clip in clips],
        size_divisibility=32)
    matchings = []
    match = criterion.matcher.forward

    def recording_match(*args, **kwargs):
        indices = match(*args, **kwargs)
        matchings.append([(i.clone(), j.clone()) for i, j in indices])
        return indices

    criterion.matcher.forward = recording_match
    model.train()
    model.detr.num_frames = TINY_ARGS['num_frames']
    model.zero_grad()
    _, loss_dict = model(samples, targets, criterion, train=True)
    weights = criterion.weight_dict
    total = sum(loss_dict[k] * weights[k] for k in loss_dict if k in weights)
    total.backward()
    del criterion.matcher.forward
    params = dict(model.named_parameters(remove_duplicate=False))
    return dict(
        clips=clips,
        padded_shape=tuple(samples.tensors.shape[-2:]),
        matchings=matchings,
        losses={k: v.detach()
                for k, v in loss_dict.items() if k in weights},
        loss_weights={k: weights[k]
                      for k in loss_dict if k in weights},
        total_loss=total.detach(),
        grads={
            k: params[k].grad.detach().flatten()[:GRAD_VALUES].clone()
            for k in GRAD_KEYS
        })


def write_official_fixtures(settings: dict) -> None:
    """Write ``official_r50_keys.json`` and ``official_tiny/`` into
    ``settings['out_dir']`` from the official checkout
    ``settings['official_root']`` with ``settings['seed']`` (see the module
    docstring) and print their sizes. A target of
    :func:`~.child_process.child_command`: it runs in the official code's
    environment."""
    official_root, out_dir, seed = (settings['official_root'],
                                    settings['out_dir'], settings['seed'])
    official = import_official(official_root)
    tiny_dir = osp.join(out_dir, 'official_tiny')
    os.makedirs(tiny_dir, exist_ok=True)
    with open(osp.join(out_dir, 'official_r50_keys.json'), 'w') as f:
        json.dump(r50_keys(official_root), f, indent=0)
    model, criterion = build_tiny(official_root, seed)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(
        {
            'model': {
                k: v.half() if v.is_floating_point() else v
                for k, v in state.items()
            },
            'official_commit': OFFICIAL_COMMIT,
            'args': {k: getattr(model.args, k)
                     for k in TINY_ARGS},
            'backbone_widths': TINY_WIDTHS,
        }, osp.join(tiny_dir, 'weights.pth'))
    torch.save(
        inference_fixture(model, seed), osp.join(tiny_dir, 'inference.pth'))
    torch.save(
        train_fixture(model, criterion, official, seed),
        osp.join(tiny_dir, 'train_step.pth'))
    for name in sorted(os.listdir(tiny_dir)):
        size = osp.getsize(osp.join(tiny_dir, name))
        print(f'{osp.join(tiny_dir, name)}: {size / 1024:.0f} kB')
