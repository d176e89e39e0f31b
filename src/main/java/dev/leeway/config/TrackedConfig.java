package dev.leeway.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reads from a HOCON config that remember which keys were read, so keys nobody reads (typos, stale
 * settings) can be reported by name instead of being ignored.
 */
final class TrackedConfig {
  private final Config config;
  private final Set<String> read = new TreeSet<>();
  private final List<String> openPrefixes = new ArrayList<>();

  TrackedConfig(Config config) {
    this.config = config;
  }

  String string(String path) {
    return get(path, () -> config.getString(path));
  }

  int integer(String path) {
    return get(path, () -> config.getInt(path));
  }

  double number(String path) {
    return get(path, () -> config.getDouble(path));
  }

  boolean bool(String path) {
    return get(path, () -> config.getBoolean(path));
  }

  List<String> strings(String path) {
    return get(path, () -> config.getStringList(path));
  }

  List<Integer> integers(String path) {
    return get(path, () -> config.getIntList(path));
  }

  /** A free-form map of string values (for example Spark settings); every key below the path is accepted. */
  Map<String, String> stringMap(String path) {
    return get(path, () -> {
      openPrefixes.add(path);
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigValue> e : config.getObject(path).entrySet()) {
        ConfigValue v = e.getValue();
        if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
          throw new ConfigError("Cannot read configuration key " + path + "." + e.getKey()
              + ": expected a plain value (" + v.origin().description() + ")");
        }
        out.put(e.getKey(), String.valueOf(v.unwrapped()));
      }
      return out;
    });
  }

  boolean has(String path) {
    return config.hasPath(path);
  }

  /** Keys present in the configuration that no typed read asked for. */
  List<String> unreadKeys(String root) {
    List<String> unread = new ArrayList<>();
    if (!config.hasPath(root)) {
      return unread;
    }
    for (Map.Entry<String, ConfigValue> e : config.getConfig(root).entrySet()) {
      String full = root + "." + e.getKey();
      boolean open = openPrefixes.stream().anyMatch(p -> full.startsWith(p + "."));
      if (!open && !read.contains(full)) {
        unread.add(full + " (" + e.getValue().origin().description() + ")");
      }
    }
    return unread;
  }

  private <T> T get(String path, java.util.function.Supplier<T> reader) {
    read.add(path);
    try {
      return reader.get();
    } catch (ConfigException.Missing e) {
      throw new ConfigError("Missing configuration key " + path + ": add it to conf/base.conf or your environment file");
    } catch (ConfigException.WrongType e) {
      throw new ConfigError("Wrong type for configuration key " + path + ": " + e.getMessage());
    } catch (ConfigException.BadValue e) {
      throw new ConfigError("Bad value for configuration key " + path + ": " + e.getMessage());
    }
  }
}
