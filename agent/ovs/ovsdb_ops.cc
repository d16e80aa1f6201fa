#include "agent/ovs/ovsdb_ops.h"

namespace convoy::agent::ovs {

using nlohmann::json;

json Uuid(const std::string& uuid) { return json::array({"uuid", uuid}); }
json NamedUuid(const std::string& name) { return json::array({"named-uuid", name}); }

json StringMap(const std::map<std::string, std::string>& values) {
  json pairs = json::array();
  for (const auto& [k, v] : values) pairs.push_back(json::array({k, v}));
  return json::array({"map", pairs});
}

std::map<std::string, std::string> ReadStringMap(const json& value) {
  std::map<std::string, std::string> out;
  if (!value.is_array() || value.size() != 2 || value[0] != "map" || !value[1].is_array()) {
    return out;
  }
  for (const auto& pair : value[1]) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
      out[pair[0].get<std::string>()] = pair[1].get<std::string>();
    }
  }
  return out;
}

std::vector<std::string> ReadUuids(const json& value) {
  std::vector<std::string> out;
  if (!value.is_array() || value.size() != 2) return out;
  if (value[0] == "uuid" && value[1].is_string()) {
    out.push_back(value[1].get<std::string>());
  } else if (value[0] == "set" && value[1].is_array()) {
    for (const auto& e : value[1]) {
      if (e.is_array() && e.size() == 2 && e[0] == "uuid" && e[1].is_string()) {
        out.push_back(e[1].get<std::string>());
      }
    }
  }
  return out;
}

std::map<int64_t, std::string> ReadIntUuidMap(const json& value) {
  std::map<int64_t, std::string> out;
  if (!value.is_array() || value.size() != 2 || value[0] != "map" || !value[1].is_array()) {
    return out;
  }
  for (const auto& pair : value[1]) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_number_integer()) {
      const auto uuids = ReadUuids(pair[1]);
      if (!uuids.empty()) out[pair[0].get<int64_t>()] = uuids[0];
    }
  }
  return out;
}

std::string InsertedUuid(const json& results, size_t i) {
  return ReadUuids(results[i].value("uuid", json())).at(0);
}

json Where(const std::string& column, const json& value) {
  return json::array({json::array({column, "==", value})});
}

json WhereUuid(const std::string& uuid) { return Where("_uuid", Uuid(uuid)); }

json Insert(const std::string& table, const std::string& uuid_name, const json& row) {
  return {{"op", "insert"}, {"table", table}, {"uuid-name", uuid_name}, {"row", row}};
}

json Update(const std::string& table, const std::string& uuid, const json& row) {
  return {{"op", "update"}, {"table", table}, {"where", WhereUuid(uuid)}, {"row", row}};
}

json Delete(const std::string& table, const std::string& uuid) {
  return {{"op", "delete"}, {"table", table}, {"where", WhereUuid(uuid)}};
}

json Mutate(const std::string& table, const json& where, const json& mutations) {
  return {{"op", "mutate"}, {"table", table}, {"where", where}, {"mutations", mutations}};
}

json DeleteMapKeys(const std::string& column, const std::vector<json>& keys) {
  return json::array({column, "delete", json::array({"set", keys})});
}

json InsertStringPair(const std::string& column, const std::string& key, const std::string& value) {
  return json::array({column, "insert", StringMap({{key, value}})});
}

}  // namespace convoy::agent::ovs
