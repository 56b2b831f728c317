#!/usr/bin/env python3
"""The Python peer for bench_classifier: torchvision's resnet18(num_classes=7) trained from
scratch with SGD, batch 64, on random images, on the same machine (Debian python3-torch and
python3-torchvision, 2 threads), or on a GPU with --device cuda. Prints training images/s at 64
and 128 px.

    OMP_NUM_THREADS=2 python3 bench/reference_resnet18.py [--steps N] [--device cpu|cuda]
"""
import argparse
import time

import torch
import torchvision

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
device = torch.device(args.device)
torch.set_num_threads(2)
for size in (64, 128):
    model = torchvision.models.resnet18(num_classes=7).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.rand(64, 3, size, size, device=device)
    labels = torch.randint(0, 7, (64,), device=device)

    def step():
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    print(f"torchvision resnet18, {size} px: {64 * args.steps / (time.perf_counter() - start):.1f} "
          "training images/s")
