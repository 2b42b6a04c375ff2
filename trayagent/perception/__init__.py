"""Seeing faces: the only package that imports OpenCV or onnxruntime."""
