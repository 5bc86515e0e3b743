//! A request on a client other than the guard's (the application's own, from the router's
//! state): sent as written, it would carry no owner's condition. Inside a `Guard<DynamoDb>` fn
//! the expansion wraps every call named as an operation of the client that does not start at
//! `guard.client()` in `Probe(..).__guarded_checked()`: when the call is the SDK's, its value
//! is the operation's fluent builder, and the inherent method, chosen over the trait's for a
//! [`Request`], requires a bound no type meets. Anything else (`uri.query()`) passes through
//! [`Pass`] unchanged.

use aws_sdk_dynamodb::operation;

/// The value of a call the walk could not tell from a request on another client.
#[doc(hidden)]
pub struct Probe<T>(pub T);

/// An operation's fluent builder: a request, sent as written by its `.send()`.
#[doc(hidden)]
pub trait Request {}

/// Met by no type: a request reached here from a client other than the guard's.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a request on a client other than the guard's: it would be sent \
               without the owner's condition",
    label = "not on `guard.client()`",
    note = "in a #[guarded] fn write the request as one chain \
            `guard.client().<operation>()...send()`, which the guard conditions; run requests \
            on the application's own client outside #[guarded] fns"
)]
pub trait OnTheGuardsClient {}

impl<T: Request> Probe<T> {
    /// Refused: a [`Request`] the walk met off the guard.
    #[doc(hidden)]
    pub fn __guarded_checked(self) -> T
    where
        T: OnTheGuardsClient,
    {
        self.0
    }
}

/// The value of a call that is not a request, unchanged.
#[doc(hidden)]
pub trait Pass {
    type Value;
    fn __guarded_checked(self) -> Self::Value;
}

impl<T> Pass for Probe<T> {
    type Value = T;
    fn __guarded_checked(self) -> T {
        self.0
    }
}

macro_rules! requests {
    ($($op:ident::$builder:ident,)*) => {
        $(impl Request for operation::$op::builders::$builder {})*

        /// A [`Probe`] per operation of the client, named as its method: the macro's list of
        /// operations (`macros/src/dynamo/operation.rs`) names these, so an operation missing
        /// here fails to compile in every expansion that meets it.
        #[doc(hidden)]
        pub mod probe {
            use super::Probe;

            $(
                #[doc(hidden)]
                pub fn $op<T>(value: T) -> Probe<T> {
                    Probe(value)
                }
            )*
        }

        /// Every operation of the client, by the name of its method.
        #[cfg(test)]
        const OPERATIONS: &[&str] = &[$(stringify!($op)),*];
    };
}

requests! {
    batch_execute_statement::BatchExecuteStatementFluentBuilder,
    batch_get_item::BatchGetItemFluentBuilder,
    batch_write_item::BatchWriteItemFluentBuilder,
    create_backup::CreateBackupFluentBuilder,
    create_global_table::CreateGlobalTableFluentBuilder,
    create_table::CreateTableFluentBuilder,
    delete_backup::DeleteBackupFluentBuilder,
    delete_item::DeleteItemFluentBuilder,
    delete_resource_policy::DeleteResourcePolicyFluentBuilder,
    delete_table::DeleteTableFluentBuilder,
    describe_backup::DescribeBackupFluentBuilder,
    describe_continuous_backups::DescribeContinuousBackupsFluentBuilder,
    describe_contributor_insights::DescribeContributorInsightsFluentBuilder,
    describe_endpoints::DescribeEndpointsFluentBuilder,
    describe_export::DescribeExportFluentBuilder,
    describe_global_table::DescribeGlobalTableFluentBuilder,
    describe_global_table_settings::DescribeGlobalTableSettingsFluentBuilder,
    describe_import::DescribeImportFluentBuilder,
    describe_kinesis_streaming_destination::DescribeKinesisStreamingDestinationFluentBuilder,
    describe_limits::DescribeLimitsFluentBuilder,
    describe_table::DescribeTableFluentBuilder,
    describe_table_replica_auto_scaling::DescribeTableReplicaAutoScalingFluentBuilder,
    describe_time_to_live::DescribeTimeToLiveFluentBuilder,
    disable_kinesis_streaming_destination::DisableKinesisStreamingDestinationFluentBuilder,
    enable_kinesis_streaming_destination::EnableKinesisStreamingDestinationFluentBuilder,
    execute_statement::ExecuteStatementFluentBuilder,
    execute_transaction::ExecuteTransactionFluentBuilder,
    export_table_to_point_in_time::ExportTableToPointInTimeFluentBuilder,
    get_item::GetItemFluentBuilder,
    get_resource_policy::GetResourcePolicyFluentBuilder,
    import_table::ImportTableFluentBuilder,
    list_backups::ListBackupsFluentBuilder,
    list_contributor_insights::ListContributorInsightsFluentBuilder,
    list_exports::ListExportsFluentBuilder,
    list_global_tables::ListGlobalTablesFluentBuilder,
    list_imports::ListImportsFluentBuilder,
    list_tables::ListTablesFluentBuilder,
    list_tags_of_resource::ListTagsOfResourceFluentBuilder,
    put_item::PutItemFluentBuilder,
    put_resource_policy::PutResourcePolicyFluentBuilder,
    query::QueryFluentBuilder,
    restore_table_from_backup::RestoreTableFromBackupFluentBuilder,
    restore_table_to_point_in_time::RestoreTableToPointInTimeFluentBuilder,
    scan::ScanFluentBuilder,
    tag_resource::TagResourceFluentBuilder,
    transact_get_items::TransactGetItemsFluentBuilder,
    transact_write_items::TransactWriteItemsFluentBuilder,
    untag_resource::UntagResourceFluentBuilder,
    update_continuous_backups::UpdateContinuousBackupsFluentBuilder,
    update_contributor_insights::UpdateContributorInsightsFluentBuilder,
    update_global_table::UpdateGlobalTableFluentBuilder,
    update_global_table_settings::UpdateGlobalTableSettingsFluentBuilder,
    update_item::UpdateItemFluentBuilder,
    update_kinesis_streaming_destination::UpdateKinesisStreamingDestinationFluentBuilder,
    update_table::UpdateTableFluentBuilder,
    update_table_replica_auto_scaling::UpdateTableReplicaAutoScalingFluentBuilder,
    update_time_to_live::UpdateTimeToLiveFluentBuilder,
}

#[cfg(test)]
mod tests {
    /// The SDK's client has a file per operation: each must be a [`super::Request`].
    #[test]
    fn every_operation_of_the_client_is_a_request() {
        let client = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("Cargo.lock");
        let lock = std::fs::read_to_string(client).expect("Cargo.lock");
        let at = lock
            .find("name = \"aws-sdk-dynamodb\"\nversion = \"")
            .expect("aws-sdk-dynamodb in Cargo.lock");
        let version = lock[at..].lines().nth(1).expect("its version");
        let version = version
            .trim_start_matches("version = \"")
            .trim_end_matches('"');
        let home = std::env::var_os("CARGO_HOME").map_or_else(
            || std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"),
            std::path::PathBuf::from,
        );
        let sources = std::fs::read_dir(home.join("registry/src"))
            .expect("cargo's registry")
            .map(|r| r.expect("a registry").path())
            .map(|r| r.join(format!("aws-sdk-dynamodb-{version}/src/client")))
            .find(|dir| dir.is_dir())
            .expect("the SDK's sources");
        let mut operations: Vec<String> = std::fs::read_dir(sources)
            .expect("the client's files")
            .map(|f| f.expect("a file").path())
            .filter_map(|f| Some(f.file_stem()?.to_str()?.to_owned()))
            .filter(|name| !name.starts_with("customize"))
            .collect();
        operations.sort();
        let mut ours: Vec<&str> = super::OPERATIONS.to_vec();
        ours.sort_unstable();
        assert_eq!(operations, ours);
    }
}
