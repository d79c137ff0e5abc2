"""tracegrad's neural networks: neurons, layers and MLPs made of autograd Values."""
