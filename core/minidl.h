// minidl's umbrella header: include this one file to use the library.
#pragma once

#include "core/autograd.h"
#include "core/device.h"
#include "core/error.h"
#include "core/gradcheck.h"
#include "core/ops/activation.h"
#include "core/ops/conv.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/random.h"
#include "core/storage.h"
#include "core/tensor.h"
