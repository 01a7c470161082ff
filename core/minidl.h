// minidl's umbrella header: include this one file to use the library (outside programs write
// #include <minidl/minidl.h>). Every public header is reachable from here, and only those are
// installed: cmake/public_headers.cmake fails the build when a header of core/, layers/ or losses/
// is neither reachable nor listed as internal.
#pragma once

#include "core/autograd.h"
#include "core/data.h"
#include "core/device.h"
#include "core/error.h"
#include "core/file.h"
#include "core/gradcheck.h"
#include "core/idx.h"
#include "core/image.h"
#include "core/ops/activation.h"
#include "core/ops/conv.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/optim.h"
#include "core/random.h"
#include "core/schedule.h"
#include "core/serialize.h"
#include "core/storage.h"
#include "core/str.h"
#include "core/tensor.h"
#include "core/version.h"
#include "layers/layers.h"
#include "losses/losses.h"
#include "losses/yolo_v1_loss.h"
#include "losses/yolo_v1_target.h"
