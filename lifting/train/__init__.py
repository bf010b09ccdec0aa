"""Training on BVH mocap: synthetic 2D, pose-space augmentation, training loops."""
