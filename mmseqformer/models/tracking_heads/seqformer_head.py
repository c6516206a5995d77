"""SeqFormer's head: decoder, class/box branches, dynamic masks, losses
(inference's selection and post-processing are
``mmseqformer/models/vis/video_postprocess.py``).

Modified from the official ``models/seqformer.py`` and
``models/segmentation.py`` (wjf5203/SeqFormer, MIT): the algorithm is
reproduced, the code is not.

Shape legend: ``bs`` clips, ``T`` frames, ``Q`` queries, ``C`` embed_dims,
``K`` classes, ``V`` = sum of H_l * W_l of one frame, ``G`` instances.
"""
import copy
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.layers.transformer import MLP, inverse_sigmoid
from mmdet.registry import MODELS
from mmdet.structures import TrackSampleList
from mmdet.utils import ConfigType, OptConfigType
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..layers import DynamicMaskHead, MaskBranch, SeqFormerDecoder
from ..utils import (EncodedFrames, split_encoded_clips, split_track_samples,
                     video_gt_instances)
from ..vis.track_linker import track_descriptors
from ..vis.video_postprocess import video_test_cfg

#: Official bias of the class heads: -log((1 - 0.01) / 0.01).
CLS_BIAS_INIT = -4.59511985013459


@dataclass
class FramePaths:
    """The box path of every layer on some frames: all the instance path
    and the mask head need of them (inference).

    Attributes:
        inst_feats (list[Tensor]): per layer, (bs, t, Q, C) instance-path
            features.
        frame_logits (list[Tensor | None]): per layer, (bs, t, Q, 1)
            unnormalised frame weights (None unless weighted).
        references (Tensor): (bs, t, Q, 4) the last layer's input boxes,
            which anchor the mask head.
    """
    inst_feats: List[Tensor]
    frame_logits: List[Optional[Tensor]]
    references: Tensor


@MODELS.register_module()
class SeqFormerHead(BaseModule):
    """Decode video-level instances from per-frame encoder memory.

    Args:
        num_classes (int): K. NOTE: the official head has 42 logits whose
            index is the YouTube-VIS category id (rows 0 and 41 unused);
            here there are K logits for mmdet's 0-based labels (the weight
            converter takes rows 1..40).
        embed_dims (int): C. Defaults to 256.
        num_queries (int): Q. Defaults to 300.
        decoder (dict): :class:`SeqFormerDecoder` config.
        mask_branch (dict): :class:`MaskBranch` config.
        mask_head (dict): :class:`DynamicMaskHead` config.
        criterion (dict): :class:`VideoSetCriterion` config.
        clips_per_sample (int): ``k``: training decodes each sample of
            ``k * T`` frames as ``k`` consecutive clips of ``T`` frames,
            each with its own queries and matching
            (:mod:`~mmseqformer.models.utils.clip_split`). Defaults to 1
            (official).
        association_loss (dict, optional): A loss on what the linked modes
            compare (:meth:`link_descriptors`) in the ``k`` clips of one
            sample (:class:`~mmseqformer.models.losses.ClipAssociationLoss`),
            logged as ``loss_assoc``; needs ``clips_per_sample`` >= 2.
            NOTE: not official; an option for the causal modes, which link
            clips by their queries. Defaults to None.
        test_cfg (dict): Inference settings, used by the inference engine
            (:data:`~mmseqformer.models.vis.video_postprocess.VIDEO_TEST_CFG`
            lists them with their defaults).
    """

    def __init__(self,
                 num_classes: int,
                 embed_dims: int = 256,
                 num_queries: int = 300,
                 decoder: ConfigType = dict(num_layers=6),
                 mask_branch: ConfigType = dict(),
                 mask_head: ConfigType = dict(),
                 criterion: ConfigType = dict(type='VideoSetCriterion'),
                 clips_per_sample: int = 1,
                 association_loss: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_queries = num_queries
        self.test_cfg = video_test_cfg(test_cfg)
        self.decoder = SeqFormerDecoder(**decoder)
        num_layers = self.decoder.num_layers
        # First half positional, second half content (official order).
        self.query_embedding = nn.Embedding(num_queries, 2 * embed_dims)
        self.reference_points_fc = nn.Linear(embed_dims, 2)
        cls_branch = nn.Linear(embed_dims, num_classes)
        reg_branch = MLP(embed_dims, embed_dims, 4, 3)
        # Independent per-layer heads (official with box refinement).
        self.cls_branches = nn.ModuleList(
            [copy.deepcopy(cls_branch) for _ in range(num_layers)])
        self.reg_branches = nn.ModuleList(
            [copy.deepcopy(reg_branch) for _ in range(num_layers)])
        self.mask_branch = MaskBranch(in_channels=embed_dims, **mask_branch)
        self.mask_head = DynamicMaskHead(embed_dims=embed_dims, **mask_head)
        self.criterion = MODELS.build(criterion)
        if clips_per_sample < 1:
            raise ValueError(
                f'clips_per_sample must be >= 1, got {clips_per_sample}')
        if association_loss is not None and clips_per_sample < 2:
            raise ValueError('association_loss compares the clips of a '
                             'sample: it needs clips_per_sample >= 2, got '
                             f'{clips_per_sample}')
        self.clips_per_sample = clips_per_sample
        self.association_loss = (
            MODELS.build(association_loss)
            if association_loss is not None else None)

    def init_weights(self) -> None:
        """Official initialisation of the head's own layers."""
        super().init_weights()
        nn.init.xavier_uniform_(self.reference_points_fc.weight)
        nn.init.zeros_(self.reference_points_fc.bias)
        for cls_branch in self.cls_branches:
            nn.init.constant_(cls_branch.bias, CLS_BIAS_INIT)
        for reg_branch in self.reg_branches:
            nn.init.zeros_(reg_branch.layers[-1].weight)
            nn.init.zeros_(reg_branch.layers[-1].bias)
        nn.init.constant_(self.reg_branches[0].layers[-1].bias[2:], -2.0)
        self.mask_branch.init_weights()
        self.mask_head.init_weights()

    def forward(
        self,
        encoded: EncodedFrames,
        embedding_frames: Optional[Tensor] = None
    ) -> Tuple[List, List, Tensor, List]:
        """Decode the queries of every clip (training, the ``tensor`` mode,
        and inference without query decomposition).

        Args:
            encoded (EncodedFrames): :meth:`SeqFormer.encode` outputs.
            embedding_frames (Tensor, optional): Frames that build the
                instance queries; all when None.

        Returns:
            tuple: per layer, class logits (bs, Q, K) and boxes
            (bs, T, Q, 4) in normalised (cx, cy, w, h); instance queries
            (num_layers, bs, Q, C); per layer, the reference input to it
            ((bs, T, Q, 2) then (bs, T, Q, 4)).
        """
        query, query_pos, reference = self.initial_queries(
            encoded.num_clips, encoded.num_frames)
        inst_queries, _, boxes, references = self.decoder(
            query, query_pos, encoded.memory, encoded.memory_mask, reference,
            encoded.spatial_shapes, encoded.level_start_index,
            encoded.valid_ratios, self.reg_branches, embedding_frames)
        return self.classify(inst_queries), boxes, inst_queries, references

    def initial_queries(self, bs: int,
                        num_frames: int) -> Tuple[Tensor, Tensor, Tensor]:
        """Content queries (bs, Q, C), positional queries (bs, Q, C) and
        the initial references (bs, T, Q, 2), the same in every frame."""
        query_pos, query = self.query_embedding.weight.chunk(2, dim=1)
        query_pos = query_pos[None].expand(bs, -1, -1)
        query = query[None].expand(bs, -1, -1)
        reference = self.reference_points_fc(query_pos).sigmoid()
        return query, query_pos, reference[:, None].expand(
            -1, num_frames, -1, -1)

    def box_path(self, encoded: EncodedFrames) -> FramePaths:
        """Every layer's box path on some frames (inference).

        Args:
            encoded (EncodedFrames): :meth:`SeqFormer.encode` outputs of
                the frames at hand.

        Returns:
            FramePaths: what the instance path and the masks need.
        """
        query, query_pos, reference = self.initial_queries(
            encoded.num_clips, encoded.num_frames)
        box_queries, inst_feats, references = self.decoder.box_path(
            query, query_pos, encoded.memory, encoded.memory_mask, reference,
            encoded.spatial_shapes, encoded.level_start_index,
            encoded.valid_ratios, self.reg_branches)
        return FramePaths(
            inst_feats=inst_feats,
            frame_logits=[
                layer.frame_logits(box_query)
                for layer, box_query in zip(self.decoder.layers, box_queries)
            ],
            references=references[-1])

    def instance_path(self, aggregated: List[Tensor]) -> Tuple:
        """Every layer's instance path from its aggregated frame features.

        Args:
            aggregated (list[Tensor]): per layer, (bs, Q, C).

        Returns:
            tuple: per layer, class logits (bs, Q, K); instance queries
            (num_layers, bs, Q, C).
        """
        query, query_pos, _ = self.initial_queries(aggregated[0].shape[0], 1)
        inst_queries = self.decoder.instance_path(query, query_pos, aggregated)
        return self.classify(inst_queries), inst_queries

    def classify(self, inst_queries: Tensor) -> List[Tensor]:
        """Per layer class logits (bs, Q, K) from (num_layers, bs, Q, C)."""
        return [
            cls_branch(inst_query)
            for cls_branch, inst_query in zip(self.cls_branches, inst_queries)
        ]

    def mask_features(self, encoded: EncodedFrames) -> Tensor:
        """Stride-8 mask features of every frame, (bs * T, D, h, w), from
        the stride 8/16/32 maps in ``encoded.mask_inputs``."""
        return self.mask_branch(encoded.mask_inputs)

    def instance_masks(self, mask_feats: Tensor, inst_query: Tensor,
                       reference: Tensor, image_size: Tuple[int,
                                                            int]) -> Tensor:
        """Mask logits of some queries of one clip at one layer.

        Args:
            mask_feats (Tensor): (T, D, h, w) the clip's mask features.
            inst_query (Tensor): (n, C) the queries' instance embeddings.
            reference (Tensor): (T, n, 2 or 4) the references input to the
                layer; their centres anchor the relative coordinates
                (official; the paper says the layer's own boxes).
            image_size (tuple[int, int]): (width, height) of the unpadded
                input.

        Returns:
            Tensor: (n, T, 2h, 2w) logits at stride 4.
        """
        # Official round trip through logit space (clamps to [1e-5, 1-1e-5]).
        centres = inverse_sigmoid(reference[..., :2]).sigmoid()
        return self.mask_head(mask_feats, inst_query, centres.transpose(0, 1),
                              image_size)

    def loss(self, encoded: EncodedFrames,
             data_samples: TrackSampleList) -> Dict[str, Tensor]:
        """Losses of every decoder layer (the last without prefix).

        Args:
            encoded (EncodedFrames): :meth:`SeqFormer.encode` outputs.
            data_samples (list[TrackDataSample]): The clips with ground
                truth.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``, ``loss_iou``,
            ``loss_mask``, ``loss_dice`` and ``d{i}.``-prefixed copies for
            the auxiliary layers; ``loss_assoc`` with an association loss.
        """
        if self.clips_per_sample > 1:
            encoded = split_encoded_clips(encoded, self.clips_per_sample)
            data_samples = split_track_samples(data_samples,
                                               self.clips_per_sample)
        cls_scores, boxes, inst_queries, references = self(encoded)
        mask_feats = self.mask_features(encoded)
        mask_feats = mask_feats.view(encoded.num_clips, encoded.num_frames,
                                     *mask_feats.shape[1:])
        mask_size = mask_feats.shape[-2:]
        gts = [
            video_gt_instances(
                sample, tuple(s * self.mask_head.upsample for s in mask_size))
            for sample in data_samples
        ]
        num_boxes = self.criterion.num_boxes(gts, cls_scores[0].device)
        losses = {}
        for layer in range(len(cls_scores)):
            layer_losses, matches = self.layer_loss(
                cls_scores[layer], boxes[layer], inst_queries[layer],
                references[layer], mask_feats, gts, data_samples, num_boxes)
            prefix = '' if layer == len(cls_scores) - 1 else f'd{layer}.'
            losses.update(
                {prefix + key: value
                 for key, value in layer_losses.items()})
        if self.association_loss is not None:
            losses['loss_assoc'] = self.association_loss(*self.clip_groups(
                self.link_descriptors(encoded, inst_queries[-1]), matches,
                gts))
        return losses

    def link_descriptors(self, encoded: EncodedFrames,
                         inst_query: Tensor) -> Tensor:
        """The query part of what the window and clip modes link clips by
        (:func:`~mmseqformer.models.vis.track_linker.track_descriptors`
        without the appearance), with gradients: (bs, Q, 2C) from the
        last layer's instance queries (bs, Q, C) and its per-frame
        instance-path features.

        The training forward does not keep those features, so the box path
        runs again (the decoder is a small part of a training iteration).
        """
        frame_feats = self.box_path(encoded).inst_feats[-1]  # (bs, T, Q, C)
        return track_descriptors(inst_query, frame_feats.transpose(0, 1))

    def clip_groups(self, embeddings: Tensor, matches: List[Tensor],
                    gts: List[InstanceData]) -> Tuple[Tensor, Tensor]:
        """The queries' embeddings and the objects the queries are matched
        to, grouped by sample, for the association loss.

        Args:
            embeddings (Tensor): (bs * k, Q, D).
            matches (list[Tensor]): per clip, (Q, ) the ground-truth index
                of each query, -1 when unmatched.
            gts (list[InstanceData]): per clip, with ``instances_ids``.

        Returns:
            tuple[Tensor, Tensor]: (bs, k, Q, D) embeddings and (bs, k, Q)
            object ids (-1: unmatched).
        """
        object_ids = torch.stack([
            _matched_ids(match, gt.instances_ids)
            for match, gt in zip(matches, gts)
        ])
        k = self.clips_per_sample
        return (embeddings.view(-1, k, *embeddings.shape[1:]),
                object_ids.view(-1, k, object_ids.shape[-1]))

    def layer_loss(self, cls_scores: Tensor, boxes: Tensor, inst_query: Tensor,
                   reference: Tensor, mask_feats: Tensor,
                   gts: List[InstanceData], data_samples: TrackSampleList,
                   num_boxes: Tensor) -> Dict[str, Tensor]:
        """Match and compute the losses of one decoder layer.

        Args:
            cls_scores (Tensor): (bs, Q, K).
            boxes (Tensor): (bs, T, Q, 4).
            inst_query (Tensor): (bs, Q, C).
            reference (Tensor): (bs, T, Q, 2 or 4) the layer's input refs.
            mask_feats (Tensor): (bs, T, D, h, w).
            gts (list[InstanceData]): Per clip, ``labels`` (G, ), ``bboxes``
                (G, T, 4) and ``masks`` (G, T, 2h, 2w).
            data_samples (list[TrackDataSample]): For the image sizes.
            num_boxes (Tensor): Loss normaliser.

        Returns:
            tuple: the losses (dict) and, per clip, the ground-truth index
            matched to each query ((Q, ) long, -1 when unmatched).
        """
        boxes = boxes.transpose(1, 2)  # (bs, T, Q, 4) -> (bs, Q, T, 4)
        matches = [
            self.criterion.match(cls_scores[b], boxes[b], gts[b])
            for b in range(len(gts))
        ]
        losses = dict(
            loss_cls=self.criterion.classification_loss(
                cls_scores, matches, gts, num_boxes))
        pred_boxes, gt_boxes, mask_logits, gt_masks = [], [], [], []
        for b, (match, gt) in enumerate(zip(matches, gts)):
            queries = torch.nonzero(match >= 0).squeeze(1)
            targets = match[queries]
            pred_boxes.append(boxes[b, queries])
            gt_boxes.append(gt.bboxes[targets])
            img_h, img_w = data_samples[b][0].img_shape
            mask_logits.append(
                self.instance_masks(mask_feats[b], inst_query[b, queries],
                                    reference[b][:, queries], (img_w, img_h)))
            gt_masks.append(gt.masks[targets])
        losses.update(
            self.criterion.box_losses(
                torch.cat(pred_boxes), torch.cat(gt_boxes), num_boxes))
        losses.update(
            self.criterion.mask_losses(
                torch.cat(mask_logits), torch.cat(gt_masks), num_boxes))
        return losses, matches


def _matched_ids(match: Tensor, instance_ids: Tensor) -> Tensor:
    """(Q, ) the instance id each query is matched to, -1 if none."""
    if not len(instance_ids):  # a clip without objects: nothing matched
        return torch.full_like(match, -1)
    return torch.where(match >= 0, instance_ids[match.clamp(min=0)], -1)
