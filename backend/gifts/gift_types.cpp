#include "backend/gifts/gift_types.h"

namespace livedeck::gifts {

std::string_view toString(GiftKind kind)
{
    switch (kind) {
    case GiftKind::Single:
        return "single";
    case GiftKind::Combo:
        return "combo";
    case GiftKind::BlindBox:
        return "blind-box";
    case GiftKind::TreasureChest:
        return "treasure-chest";
    }
    return "?";
}

std::string_view toString(MultiActiveMode mode)
{
    return mode == MultiActiveMode::CrossRegion ? "cross-region" : "local-first";
}

std::string_view toString(OrderStatus status)
{
    switch (status) {
    case OrderStatus::Created:
        return "created";
    case OrderStatus::Paid:
        return "paid";
    case OrderStatus::Failed:
        return "failed";
    case OrderStatus::Refunding:
        return "refunding";
    case OrderStatus::Refunded:
        return "refunded";
    }
    return "?";
}

} // namespace livedeck::gifts
