// Builders and readers of RFC 7047 values and operations, for OvsdbClient::Transact.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convoy::agent::ovs {

// ["uuid", U], or ["named-uuid", N] for a row inserted in the same transaction.
nlohmann::json Uuid(const std::string& uuid);
nlohmann::json NamedUuid(const std::string& name);
// An OVSDB map from string keys to string values: ["map", [[k, v], ...]].
nlohmann::json StringMap(const std::map<std::string, std::string>& values);

// The string map in a column value (["map", [...]]); empty when not a map.
std::map<std::string, std::string> ReadStringMap(const nlohmann::json& value);
// The UUIDs in a set-or-single-uuid value (["uuid", U] or ["set", [...]]).
std::vector<std::string> ReadUuids(const nlohmann::json& value);
// A map from integers to UUIDs (a QoS row's queues: queue id -> Queue).
std::map<int64_t, std::string> ReadIntUuidMap(const nlohmann::json& value);
// The UUID the `i`th operation (an insert) of a transaction's results made.
std::string InsertedUuid(const nlohmann::json& results, size_t i);

// A where clause [[column, "==", value]], and the one that picks the row `uuid`.
nlohmann::json Where(const std::string& column, const nlohmann::json& value);
nlohmann::json WhereUuid(const std::string& uuid);

// Operations.
nlohmann::json Insert(const std::string& table, const std::string& uuid_name,
                      const nlohmann::json& row);
nlohmann::json Update(const std::string& table, const std::string& uuid, const nlohmann::json& row);
nlohmann::json Delete(const std::string& table, const std::string& uuid);
nlohmann::json Mutate(const std::string& table, const nlohmann::json& where,
                      const nlohmann::json& mutations);

// Mutations: remove `keys` from a map column; insert one string pair into one.
nlohmann::json DeleteMapKeys(const std::string& column, const std::vector<nlohmann::json>& keys);
nlohmann::json InsertStringPair(const std::string& column, const std::string& key,
                                const std::string& value);

}  // namespace convoy::agent::ovs
