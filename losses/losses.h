// The losses umbrella: the everyday losses, each composed from public ops, and Reduction.
// (The fused YOLOv1 loss has its own header, losses/yolo_v1_loss.h.)
#pragma once

#include "losses/bce_loss.h"
#include "losses/cross_entropy_loss.h"
#include "losses/focal_loss.h"
#include "losses/huber_loss.h"
#include "losses/mse_loss.h"
#include "losses/reduction.h"
