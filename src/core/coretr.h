// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCoreApplication>

namespace GrayStep::Core {

// Translation context for user-visible text of non-QObject code in core
// (Qt Creator's Tr pattern): Tr::tr("...").
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(GrayStep::Core)
};

} // namespace GrayStep::Core
