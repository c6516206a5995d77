import torch
import torch.nn.functional as F
from mmdet.models.utils import aligned_bilinear

from mmseqformer.models.layers import DynamicMaskHead, MaskBranch
from mmseqformer.models.layers.dynamic_mask_head import dynamic_param_sizes


def test_official_parameter_count_and_layout():
    assert dynamic_param_sizes(8, 3, True) == ([80, 64, 8], [8, 8, 1])
    assert DynamicMaskHead().num_params == 169
    assert dynamic_param_sizes(8, 3, False) == ([64, 64, 8], [8, 8, 1])


def slow_masks(head, feats, params, centres, image_size, stride=8):
    """Per instance and frame: build the input map pixel by pixel and run
    the three 1x1 convs with F.conv2d, in float64."""
    num_inst, num_frames = centres.shape[:2]
    feat_ch = head.feat_channels
    in_ch = feat_ch + 2
    height, width = feats.shape[-2:]
    out = []
    for i in range(num_inst):
        p = params[i].double()
        # All weights first, then all biases.
        sizes = [
            in_ch * feat_ch, feat_ch * feat_ch, feat_ch, feat_ch, feat_ch, 1
        ]
        w1, w2, w3, b1, b2, b3 = p.split(sizes)
        frames = []
        for t in range(num_frames):
            cx = centres[i, t, 0].item() * image_size[0]
            cy = centres[i, t, 1].item() * image_size[1]
            rel = torch.zeros(2, height, width, dtype=torch.float64)
            for y in range(height):
                for x in range(width):
                    rel[0, y, x] = cx - (x * stride + stride // 2)
                    rel[1, y, x] = cy - (y * stride + stride // 2)
            inp = torch.cat([rel, feats[t].double()])[None]
            h = F.relu(F.conv2d(inp, w1.view(feat_ch, in_ch, 1, 1), b1))
            h = F.relu(F.conv2d(h, w2.view(feat_ch, feat_ch, 1, 1), b2))
            h = F.conv2d(h, w3.view(1, feat_ch, 1, 1), b3)
            frames.append(aligned_bilinear(h, 2)[0, 0])
        out.append(torch.stack(frames))
    return torch.stack(out)


def test_dynamic_convs_equal_direct_convolution():
    torch.manual_seed(0)
    head = DynamicMaskHead(embed_dims=16, feat_channels=4)
    head.init_weights()
    feats = torch.randn(3, 4, 5, 6)  # (T, D, h, w)
    queries = torch.randn(2, 16)
    centres = torch.rand(2, 3, 2)
    image_size = (48, 40)
    logits = head(feats, queries, centres, image_size)
    assert logits.shape == (2, 3, 10, 12)
    expected = slow_masks(head, feats,
                          head.controller(queries).detach(), centres,
                          image_size)
    torch.testing.assert_close(logits.double(), expected, rtol=1e-4, atol=1e-3)


def test_last_bias_is_the_last_parameter():
    head = DynamicMaskHead(embed_dims=16, feat_channels=4)
    params = torch.zeros(1, head.num_params)
    params[0, -1] = 3.5  # b3 only: every logit equals it
    weights, biases = head.split_params(params)
    assert [w.shape for w in weights] == [(1, 4, 6), (1, 4, 4), (1, 1, 4)]
    assert biases[-1].item() == 3.5 and all((w == 0).all() for w in weights)


def test_mask_branch_shapes_and_final_relu():
    torch.manual_seed(0)
    branch = MaskBranch(in_channels=16, mid_channels=8, out_channels=4)
    branch.init_weights()
    levels = [
        torch.randn(2, 16, 8, 10),
        torch.randn(2, 16, 4, 5),
        torch.randn(2, 16, 2, 3)
    ]
    out = branch(levels)
    assert out.shape == (2, 4, 8, 10) and (out >= 0).all()
