#pragma once
#include "engine.h"
#include <nlohmann/json.hpp>
// Engine self-checks (the `check` command). Leave the live training state as it was.
nlohmann::json run_checks(Engine & eng);
