//! The operations of the SDK's DynamoDB client, by the name of its method: the one list of
//! them. The runtime mirrors it as `exec` mirrors the executor methods: the expansion names
//! the runtime's item of the same name for each operation it meets (`dynamo::<op>` for a
//! guarded request, `dynamo::probe::<op>` for a call that may be a request on another
//! client), so an operation missing there fails to compile in every expansion that uses it;
//! a test compares the list with the SDK's.

/// Declares `Operation` from `Variant method_name` pairs.
macro_rules! operations {
    ($($variant:ident $name:ident,)*) => {
        /// An operation of the SDK's client.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $($variant,)*
        }

        impl Operation {
            /// Every operation of the client.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The client's method, as the SDK spells it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($name),)*
                }
            }
        }
    };
}

operations! {
    BatchExecuteStatement batch_execute_statement,
    BatchGetItem batch_get_item,
    BatchWriteItem batch_write_item,
    CreateBackup create_backup,
    CreateGlobalTable create_global_table,
    CreateTable create_table,
    DeleteBackup delete_backup,
    DeleteItem delete_item,
    DeleteResourcePolicy delete_resource_policy,
    DeleteTable delete_table,
    DescribeBackup describe_backup,
    DescribeContinuousBackups describe_continuous_backups,
    DescribeContributorInsights describe_contributor_insights,
    DescribeEndpoints describe_endpoints,
    DescribeExport describe_export,
    DescribeGlobalTable describe_global_table,
    DescribeGlobalTableSettings describe_global_table_settings,
    DescribeImport describe_import,
    DescribeKinesisStreamingDestination describe_kinesis_streaming_destination,
    DescribeLimits describe_limits,
    DescribeTable describe_table,
    DescribeTableReplicaAutoScaling describe_table_replica_auto_scaling,
    DescribeTimeToLive describe_time_to_live,
    DisableKinesisStreamingDestination disable_kinesis_streaming_destination,
    EnableKinesisStreamingDestination enable_kinesis_streaming_destination,
    ExecuteStatement execute_statement,
    ExecuteTransaction execute_transaction,
    ExportTableToPointInTime export_table_to_point_in_time,
    GetItem get_item,
    GetResourcePolicy get_resource_policy,
    ImportTable import_table,
    ListBackups list_backups,
    ListContributorInsights list_contributor_insights,
    ListExports list_exports,
    ListGlobalTables list_global_tables,
    ListImports list_imports,
    ListTables list_tables,
    ListTagsOfResource list_tags_of_resource,
    PutItem put_item,
    PutResourcePolicy put_resource_policy,
    Query query,
    RestoreTableFromBackup restore_table_from_backup,
    RestoreTableToPointInTime restore_table_to_point_in_time,
    Scan scan,
    TagResource tag_resource,
    TransactGetItems transact_get_items,
    TransactWriteItems transact_write_items,
    UntagResource untag_resource,
    UpdateContinuousBackups update_continuous_backups,
    UpdateContributorInsights update_contributor_insights,
    UpdateGlobalTable update_global_table,
    UpdateGlobalTableSettings update_global_table_settings,
    UpdateItem update_item,
    UpdateKinesisStreamingDestination update_kinesis_streaming_destination,
    UpdateTable update_table,
    UpdateTableReplicaAutoScaling update_table_replica_auto_scaling,
    UpdateTimeToLive update_time_to_live,
}

impl Operation {
    /// The requests the runtime conditions, each sent by its fn of the same name.
    const GUARDED: [Self; 7] = [
        Self::GetItem,
        Self::PutItem,
        Self::UpdateItem,
        Self::DeleteItem,
        Self::Query,
        Self::Scan,
        Self::TransactWriteItems,
    ];

    /// The operation whose method is `name`, if the client has one.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// Whether the guard conditions it.
    pub fn guarded(self) -> bool {
        Self::GUARDED.contains(&self)
    }

    /// A write of one item, named by its key.
    pub fn writes_one_item(self) -> bool {
        matches!(self, Self::PutItem | Self::UpdateItem | Self::DeleteItem)
    }

    /// The operation that names its tables inside its items, not with `.table_name(..)`.
    pub fn names_tables_per_item(self) -> bool {
        self == Self::TransactWriteItems
    }

    /// The guarded operations, for messages: "`get_item`, `put_item`, ... `and`
    /// `transact_write_items`" with `and` the last word's conjunction.
    pub fn guarded_listed(and: &str) -> String {
        let names: Vec<String> = Self::GUARDED
            .iter()
            .map(|op| format!("`{}`", op.name()))
            .collect();
        let (last, rest) = names.split_last().expect("operations");
        format!("{} {and} {last}", rest.join(", "))
    }
}
