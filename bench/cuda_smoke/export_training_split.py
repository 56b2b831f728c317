#!/usr/bin/env python3
"""Writes a prepared set's real training images for cuda_gan_train (a GPU node without OpenCV).

    export_training_split.py SET OUT_DIR

OUT_DIR/train.u8: uint8 RGB CHW images back to back (from SET/images.cache, manifest order);
OUT_DIR/train.labels: one class index per line (index into meta.json's classes);
OUT_DIR/args.txt: the cuda_gan_train arguments naming the classes, size, set and fingerprint.
Only the standard library: the prepared-set format is documented in the README.
"""
import csv
import json
import os
import struct
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    set_dir, out_dir = sys.argv[1], sys.argv[2]
    meta = json.load(open(os.path.join(set_dir, "meta.json")))
    classes = meta["classes"]
    with open(os.path.join(set_dir, "images.cache"), "rb") as cache:
        header = cache.read(64)
        if header[:8] != b"SKGCACHE":
            sys.exit(f"{set_dir}/images.cache is not a skingan image cache")
        channels, count, height, width = struct.unpack_from("<IQII", header, 12)
        image_bytes = channels * height * width
        rows = list(csv.DictReader(open(os.path.join(set_dir, "manifest.csv"))))
        if len(rows) != count:
            sys.exit(f"manifest has {len(rows)} rows, cache {count} images")
        os.makedirs(out_dir, exist_ok=True)
        kept = 0
        with open(os.path.join(out_dir, "train.u8"), "wb") as images, \
                open(os.path.join(out_dir, "train.labels"), "w") as labels:
            for row in rows:
                pixels = cache.read(image_bytes)
                if row["split"] == "train" and row["source"] == "real":
                    images.write(pixels)
                    labels.write(f"{classes.index(row['label'])}\n")
                    kept += 1
    with open(os.path.join(out_dir, "args.txt"), "w") as args:
        args.write(f"--classes {','.join(classes)} --size {height} "
                   f"--set {os.path.abspath(set_dir)} --fingerprint {meta.get('fingerprint', '')}\n")
    print(f"{kept} training images of {count} -> {out_dir}")


if __name__ == "__main__":
    main()
