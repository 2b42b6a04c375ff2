"""Emotion CNNs sized for CPU training on 48x48 grey faces.

Three families, built so the paper's comparison (its Tables 2 and 4) can be redone honestly:
Xception (the paper's choice: depthwise-separable convolutions with residual shortcuts),
MobileNetV2 (inverted residuals) and Inception (parallel branches). Each ends in global average
pooling and one linear layer over FER2013's 7 emotions; the product's 4 classes are sums of those.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def classifier_head(features: int, classes: int, dropout: float) -> nn.Sequential:
    """Every network here ends the same way: pooled features, dropout, one linear layer."""
    return nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(features, classes))


class SeparableConv(nn.Sequential):
    """Depthwise 3x3 then pointwise 1x1: Xception's building block."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cin, 3, 1, 1, groups=cin, bias=False),
            nn.Conv2d(cin, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )


class XceptionDownBlock(nn.Module):
    """Entry-flow block: two separable convs and a strided max-pool, with a 1x1 strided shortcut."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.shortcut = conv_bn(cin, cout, 1, 2, act=False)
        self.body = nn.Sequential(
            SeparableConv(cin, cout),
            nn.ReLU(inplace=True),
            SeparableConv(cout, cout),
            nn.MaxPool2d(3, 2, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class XceptionMiddleBlock(nn.Module):
    """Middle-flow block: three ReLU-separable-conv steps around an identity shortcut."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*[m for _ in range(3) for m in (nn.ReLU(), SeparableConv(c, c))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + x


class Xception(nn.Module):
    """Entry flow of strided residual blocks with middle-flow blocks after each, then a wide
    separable conv and global pooling. The stem halves the resolution at once: on a CPU the
    full-resolution layers cost most of the time and buy little on 48x48 faces."""

    def __init__(self, stem: int = 32, widths: tuple[int, ...] = (64, 128, 256),
                 middle: tuple[int, ...] = (1, 2, 0), head: int = 512, classes: int = 7,
                 dropout: float = 0.3) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(1, stem // 2), conv_bn(stem // 2, stem, stride=2)]
        cin = stem
        for w, m in zip(widths, middle, strict=True):
            layers.append(XceptionDownBlock(cin, w))
            cin = w
            layers += [XceptionMiddleBlock(cin) for _ in range(m)]
        layers += [nn.ReLU(), SeparableConv(cin, head), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = classifier_head(head, classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_shortcut = stride == 1 and cin == cout
        self.body = nn.Sequential(
            conv_bn(cin, hidden, 1),
            conv_bn(hidden, hidden, 3, stride, groups=hidden),
            conv_bn(hidden, cout, 1, act=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.use_shortcut else y


class MobileNetV2(nn.Module):
    # (expansion, channels, repeats, first stride), MobileNetV2's table for 48x48 input: 24 -> 3
    STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 48, 3, 2), (6, 96, 3, 2), (6, 160, 2, 1))

    def __init__(self, stem: int = 32, head: int = 512, classes: int = 7, dropout: float = 0.3,
                 width: float = 0.75) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(1, stem, stride=2)]  # stride-2 stem, as the Xception here
        cin = stem
        for t, c, n, s in self.STAGES:
            c = int(c * width)
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn(cin, head, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = classifier_head(head, classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


class InceptionModule(nn.Module):
    """1x1, 1x1->3x3, 1x1->3x3->3x3 (a factorised 5x5) and pool->1x1 branches, concatenated."""

    def __init__(self, cin: int, b1: int, b3: int, b5: int, bp: int) -> None:
        super().__init__()
        self.branches = nn.ModuleList([
            conv_bn(cin, b1, 1),
            nn.Sequential(conv_bn(cin, b3 // 2, 1), conv_bn(b3 // 2, b3)),
            nn.Sequential(conv_bn(cin, b5 // 2, 1), conv_bn(b5 // 2, b5), conv_bn(b5, b5)),
            nn.Sequential(nn.AvgPool2d(3, 1, 1), conv_bn(cin, bp, 1)),
        ])
        self.out_channels = b1 + b3 + b5 + bp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


class Inception(nn.Module):
    def __init__(self, stem: int = 32, widths: tuple[int, ...] = (96, 192, 384), head: int = 512,
                 classes: int = 7, dropout: float = 0.3) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn(1, stem // 2), conv_bn(stem // 2, stem, stride=2)]
        cin = stem
        for i, w in enumerate(widths):
            m = InceptionModule(cin, w // 4, w // 2, w // 8, w // 8)
            layers.append(m)
            cin = m.out_channels
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(3, 2, 1))
        layers.append(conv_bn(cin, head, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = classifier_head(head, classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


class Standardize(nn.Module):
    """Per-image zero mean, unit variance: removes exposure and contrast, the lighting the paper
    names as its main error source. Lives inside the network so the exported ONNX carries it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True)
        return (x - mean) / (std + 1.0)


class EmotionNet(nn.Module):
    """Takes grey 48x48 pixels in 0..255, returns logits over FER7."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.standardize = Standardize()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.standardize(x))


ARCHITECTURES = {"xception": Xception, "mobilenetv2": MobileNetV2, "inception": Inception}


def build(name: str, **kwargs) -> nn.Module:
    try:
        return ARCHITECTURES[name](**kwargs)
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose one of {sorted(ARCHITECTURES)}") from None
