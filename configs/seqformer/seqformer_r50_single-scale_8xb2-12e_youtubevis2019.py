# Paper Table 4 ablation: a single-scale transformer (C5 only) on YouTube-VIS
# 2019. The mask branch still gets stride 8/16 maps, straight from the neck.
# It inherits the COCO-pretrained (4-level) start: the layers whose shapes
# depend on the number of levels (level embeddings, deformable sampling
# offsets and attention weights) do not fit and keep their initialisation
# (the log lists them).
_base_ = ['./seqformer_r50_8xb2-12e_youtubevis2019.py']

model = dict(
    transformer_levels=[2],
    num_feature_levels=1,
    encoder=dict(layer_cfg=dict(self_attn_cfg=dict(num_levels=1))),
    track_head=dict(
        decoder=dict(layer_cfg=dict(cross_attn_cfg=dict(num_levels=1)))))
