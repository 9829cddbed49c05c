"""The consumer's environment rules (config.py) and message rules (work.py): run by consumer.test.ts."""
import threading
import unittest

import config
import work

AZURITE = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"


class ConfigTest(unittest.TestCase):
    def errors(self, env):
        with self.assertRaises(config.ConfigError) as ctx:
            config.load(env)
        return str(ctx.exception).splitlines()

    def errors_or_none(self, env):
        try:
            config.load(env)
            return []
        except config.ConfigError as e:
            return str(e).splitlines()

    def test_identity_defaults(self):
        c = config.load({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "acct1"})
        self.assertEqual((c.account, c.connection_string, c.poison_queue), ("acct1", None, "jobs-poison"))
        self.assertEqual((c.max_delivery_count, c.visibility_timeout_s, c.results_container), (5, 30, None))
        self.assertFalse(c.writes_results)

    def test_results_container_defaults_to_results_with_an_account(self):
        c = config.load({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "acct1", "KEDASCALE_RESULTS_ACCOUNT": "res1"})
        self.assertEqual(c.results_container, "results")

    def test_the_lock_duration_is_the_visibility_window_in_whole_seconds_rounded_up(self):
        c = config.load({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "acct1", "KEDASCALE_LOCK_DURATION_MS": "45500"})
        self.assertEqual(c.visibility_timeout_s, 46)

    def test_poison_queue_override(self):
        c = config.load({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "acct1", "KEDASCALE_POISON_QUEUE": "parked"})
        self.assertEqual(c.poison_queue, "parked")

    def test_azurite_connection_string_only(self):
        self.assertEqual(config.load({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_CONNECTION_STRING": AZURITE}).connection_string, AZURITE)
        self.assertTrue(config.is_azurite("UseDevelopmentStorage=true"))
        errors = self.errors({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_CONNECTION_STRING": "AccountName=prod;AccountKey=x="})
        self.assertEqual(len(errors), 1)
        self.assertIn("KEDASCALE_CONNECTION_STRING", errors[0])
        self.assertIn("identity", errors[0])

    def test_every_problem_at_once_naming_the_variable_and_value(self):
        errors = self.errors({
            "KEDASCALE_BROKER": "serviceBus", "KEDASCALE_QUEUE": "Jobs_1", "KEDASCALE_STORAGE_ACCOUNT": "Not-An-Account",
            "KEDASCALE_MAX_DELIVERY_COUNT": "zero", "KEDASCALE_LOCK_DURATION_MS": "999", "KEDASCALE_RESULTS_CONTAINER": "out",
        })
        text = "\n".join(errors)
        for fragment in ["KEDASCALE_BROKER='serviceBus'", "KEDASCALE_QUEUE='Jobs_1'", "KEDASCALE_STORAGE_ACCOUNT='Not-An-Account'",
                         "KEDASCALE_MAX_DELIVERY_COUNT='zero'", "KEDASCALE_LOCK_DURATION_MS='999'", "KEDASCALE_RESULTS_CONTAINER='out' has no effect"]:
            self.assertIn(fragment, text)

    def test_missing_queue_and_account(self):
        text = "\n".join(self.errors({}))
        self.assertIn("KEDASCALE_QUEUE is required", text)
        self.assertIn("KEDASCALE_STORAGE_ACCOUNT is required", text)

    def test_poison_queue_cannot_be_the_queue(self):
        self.assertIn("is the queue itself", self.errors({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "a1b", "KEDASCALE_POISON_QUEUE": "jobs"})[0])

    def test_queue_name_rules(self):
        for good in ["abc", "a-b-c", "a" * 63, "0jobs"]:
            self.assertTrue(config.QUEUE_NAME.match(good), good)
        for bad in ["ab", "a" * 64, "-abc", "abc-", "a--b", "ABC", "a_b"]:
            self.assertFalse(config.QUEUE_NAME.match(bad), bad)

    def test_azure_arc_identity_variables_are_refused_and_container_apps_identity_is_not(self):
        base = {"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "acct1"}
        arc = {"IDENTITY_ENDPOINT": "http://localhost:40342/metadata/identity/oauth2/token", "IMDS_ENDPOINT": "http://localhost:40342"}
        errors = self.errors({**base, **arc})
        self.assertEqual(len(errors), 1)
        self.assertIn("IDENTITY_ENDPOINT='http://localhost:40342/metadata/identity/oauth2/token' with IMDS_ENDPOINT", errors[0])
        self.assertIn("CVE-2024-35255", errors[0])
        # Container Apps gives IDENTITY_ENDPOINT with IDENTITY_HEADER: its own managed identity, not Arc's.
        config.load({**base, "IDENTITY_ENDPOINT": "http://localhost:42356/msi/token", "IDENTITY_HEADER": "h"})

    def test_the_refused_variables_are_the_ones_that_make_the_sdk_pick_azure_arc(self):
        # The rule azure-identity applies (ManagedIdentityCredential, read at construction), checked with the SDK this
        # runs with, so a different SDK that picks Arc on other variables fails here.
        import os
        from unittest import mock
        from azure.identity import ManagedIdentityCredential
        arc = {"IDENTITY_ENDPOINT": "http://localhost:40342/metadata/identity/oauth2/token", "IMDS_ENDPOINT": "http://localhost:40342"}
        for env, is_arc in [(arc, True), ({**arc, "IDENTITY_HEADER": "h"}, False), ({"IMDS_ENDPOINT": arc["IMDS_ENDPOINT"]}, False)]:
            with mock.patch.dict(os.environ, env, clear=True):
                picked = type(ManagedIdentityCredential()._credential).__name__
            self.assertEqual(picked == "AzureArcCredential", is_arc, f"{sorted(env)}: {picked}")
            refused = any("CVE-2024-35255" in e for e in self.errors_or_none({"KEDASCALE_QUEUE": "jobs", "KEDASCALE_STORAGE_ACCOUNT": "acct1", **env}))
            self.assertEqual(refused, is_arc, sorted(env))


    def test_with_the_webhooks_variables_the_credential_exchanges_the_projected_token_never_imds(self):
        # The AKS workload-identity webhook's variables, and the credential the SDK this runs with builds from them.
        import os
        from unittest import mock
        import consumer
        webhook = {"AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001", "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000002",
                   "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
                   "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.com/"}
        with mock.patch.dict(os.environ, webhook, clear=True):
            cred = consumer.credential()
            chain = [type(getattr(c, "_credential", None) or c).__name__ for c in getattr(cred, "credentials", [cred])]
        # WorkloadIdentityCredential (a newer SDK), or the chain whose managed identity is the token exchange (Debian's).
        self.assertTrue(chain == ["WorkloadIdentityCredential"] or "TokenExchangeCredential" in chain, chain)
        self.assertNotIn("ImdsCredential", chain)

class WorkTest(unittest.TestCase):
    def test_parse_accepts_kedascale_messages(self):
        m = work.parse('{"id": "run1-0", "runId": "run1", "seq": 0, "workMs": 5, "payload": "x"}')
        self.assertEqual(work.result_blob_name(m), "run1/0.json")
        self.assertEqual(work.result_blob_name(work.parse('{"id": "a:b"}')), "items/a:b.json")

    def test_parse_refuses_with_a_reason(self):
        for body, reason in [("", "NotJson"), ("[1]", "SchemaViolation"), ('{"id": "x."}', "SchemaViolation"),
                             ('{"id": "a", "seq": 1}', "SchemaViolation"), ('{"id": "a", "workMs": true}', "SchemaViolation"),
                             ("[" * 100_000, "NotJson")]:
            with self.assertRaises(work.BadMessage) as ctx:
                work.parse(body)
            self.assertEqual(ctx.exception.reason, reason, body[:20])

    def test_fail_deliveries_then_succeeds(self):
        m = work.parse('{"id": "a", "failDeliveries": 1}')
        never = threading.Event()
        with self.assertRaises(work.TransientFailure):
            work.run(m, 1, never, 1)
        self.assertIn(b'"deliveryCount": 2', work.run(m, 2, never, 1))

    def test_abort_cuts_the_work_short(self):
        aborted = threading.Event()
        aborted.set()
        with self.assertRaises(work.Aborted):
            work.run(work.parse('{"id": "a", "workMs": 600000}'), 1, aborted, 600)


if __name__ == "__main__":
    unittest.main()
