"""Money: budget lines, recorded expenses and reimbursements, and their exports."""
