"""MNIST on Flower, numpy only."""
