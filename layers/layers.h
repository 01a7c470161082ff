// All of minidl's layers: include this one header to build models (Module, Sequential, the
// layers, initialisers, summary(), and model and checkpoint files).
#pragma once

#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "layers/flatten.h"
#include "layers/init.h"
#include "layers/leaky_relu.h"
#include "layers/locally_connected2d.h"
#include "layers/max_pool2d.h"
#include "layers/module.h"
#include "layers/permute.h"
#include "layers/relu.h"
#include "layers/reshape.h"
#include "layers/sequential.h"
#include "layers/serialize_model.h"
#include "layers/sigmoid.h"
#include "layers/softmax.h"
#include "layers/summary.h"
#include "layers/tanh.h"
