package dev.leeway.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.ConfigError;
import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.FeatureSettings;
import java.io.File;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contracts a configuration reads: the built-in tables plus the customers columns the features name. */
class ContractsTest {
  private static FeatureSettings features(String numeric) {
    return LeewayConfig.load(new File("conf/local.conf"), Map.of("leeway.features.extra_numeric_columns", numeric))
        .features();
  }

  @Test
  void configuredNumericColumnsJoinTheCustomersContractAsOptionalNumbers() {
    TableContract customers = Contracts.customers(features("[age, employees]"));
    ColumnSpec age = customers.column("age").orElseThrow();
    assertEquals(ColumnType.NUMBER, age.type(), "age is checked as a number");
    assertEquals(false, age.required(), "an empty age is missing, not an error");
    assertEquals(Contracts.EXTRA_NUMERIC_KEY, age.setting(), "the column says which key asks for it");
    assertEquals(List.of("customer_id", "signup_date", "segment", "region", "channel", "age", "employees"),
        customers.columnNames(), "after the built-in columns, in configured order");
    assertEquals(Contracts.CUSTOMERS.uniqueKey(), customers.uniqueKey(), "same unique key");
    assertEquals(Contracts.ALL.subList(1, 5), Contracts.all(features("[age]")).subList(1, 5),
        "the other tables are the built-in ones");
    assertEquals(Contracts.CUSTOMERS.columns(), Contracts.all(features("[]")).get(0).columns(),
        "without extras: the built-in customers columns");
    assertEquals(5, Contracts.CUSTOMERS.columns().size(), "the built-in contract is unchanged");
  }

  @Test
  void aNumericColumnThatIsAlreadyACustomersColumnIsAConfigurationError() {
    ConfigError e = assertThrows(ConfigError.class, () -> Contracts.customers(features("[segment]")));
    assertTrue(e.getMessage().contains("segment") && e.getMessage().contains(Contracts.EXTRA_NUMERIC_KEY),
        e.getMessage());
  }
}
